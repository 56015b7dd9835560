/* libFuzzer target for the WebSocket frame parser: any bytes, parsed frame after frame as
 * http_server.c does; a frame must lie inside the input and respect the documented limits. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "websocket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	size_t offset = 0;
	while (offset < size) {
		struct websocket_frame frame;
		long used = websocket_parse_frame(copy + offset, size - offset, &frame);
		if (used <= 0)
			break;
		assert((size_t) used <= size - offset);
		assert(frame.payload >= copy + offset && frame.payload + frame.length <= copy + offset + used);
		assert(frame.length <= WEBSOCKET_MAX_PAYLOAD);
		if (frame.opcode & 0x8)
			assert(frame.length <= 125 && frame.fin);
		offset += (size_t) used;
	}
	free(copy);
	return 0;
}
