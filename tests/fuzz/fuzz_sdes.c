/* libFuzzer target for daemon/sdes.c: parsing arbitrary text never reads past the given length
 * (the input is not NUL-terminated), and whatever parses formats back to text that parses to the
 * same values and sets up an SRTP context. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sdes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdes_crypto crypto;
	const char *reason = NULL;
	int ret = sdes_parse((const char *) data, size, &crypto, &reason);
	if (ret != 0) {
		if (!reason)
			__builtin_trap();
		return 0;
	}
	if (crypto.session_parameters && (crypto.session_parameters < (const char *) data ||
	                                  crypto.session_parameters + crypto.session_parameters_length >
	                                          (const char *) data + size))
		__builtin_trap();

	char text[SDES_MAX_FORMATTED_LENGTH];
	int length = sdes_format(&crypto, text, sizeof(text));
	if (length <= 0)
		__builtin_trap();
	struct sdes_crypto again;
	if (sdes_parse(text, (size_t) length, &again, &reason) != 0 || again.tag != crypto.tag ||
	    again.suite != crypto.suite || again.master_key_length != crypto.master_key_length ||
	    memcmp(again.master_key, crypto.master_key, crypto.master_key_length) != 0 ||
	    memcmp(again.master_salt, crypto.master_salt, crypto.master_salt_length) != 0 ||
	    again.lifetime != crypto.lifetime || again.mki_value != crypto.mki_value ||
	    again.mki_length != crypto.mki_length || again.session_flags != crypto.session_flags)
		__builtin_trap();

	struct srtp_context ctx;
	if (sdes_context_init(&ctx, &crypto) != 0)
		__builtin_trap();
	srtp_context_cleanup(&ctx);
	return 0;
}
