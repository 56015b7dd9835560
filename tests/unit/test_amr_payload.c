/* AMR/AMR-WB RTP payloads (daemon/amr_payload.c, RFC 4867): the bandwidth-efficient layout
 * built bit by bit from the RFC's figures, both payload formats round-tripped with frames of
 * several modes, CRC octets, frames without speech left out, malformed payloads refused; and
 * the codec chain decoding AMR payloads of a 1 kHz tone (25 frames of 12.2 kbit/s encoded by
 * libopencore-amrnb, storage format) into PCMU that still carries the tone. */
#include <glib.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "amr_payload.h"
#include "codec_chain.h"

/* 25 storage frames (header 0x3c: FT 7, Q 1; 31 octets of speech) of a 1 kHz sine at 8000 */
static const char tone_frames_hex[] =
	"3cbe57b7581c7bc5ec8ec45af6317556c0000120802da42c00000070038efb20"
	"3ca2620bf04d387800c7843bd8ec0b343888fee8cae9d5f576c44291ef0bd2e0"
	"3cbc57b5f04cd1fa405f808a4887aca8c777f48092a43db9db2f54a1c96a92c0"
	"3cae63b6f04cc5f0e184d5bb99593a870716841fb4f095cb8ad5270bb73c4f60"
	"3cac5608f04cc5ef60db808aa9391a87f8bea437f4c1fd632be8858ad3229140"
	"3cac63b6f04d296ee143813ba295fa971801b44be39014745c3a42188950c150"
	"3cac5608f04d227f40d7810a78eac1e9ffa0f176957584bbac5840860ca0d7c0"
	"3cac63b6f04d29e7407b813b3de7a29706127569af1fd08fcefde25029971ca0"
	"3cac5608f04d287f60c7810af98e3e5ac73d0ec31740398c20aab08c1a4ebf00"
	"3cac63b6f04d29e7607d813b2ce732d000cc7547971ae96b9608e646096b4160"
	"3cac5608f04d287f6403800aebf85440fe9bd3fa814a39d57b950b6ab2529860"
	"3cac63b6f04d29e7407981bb3fde1532021f8e90150bd12ff337fffea28348a0"
	"3cac5608f04d287fc04f800a3b2b2d3dcfd10e098d7bac42d8c8492034e0ffa0"
	"3cac63b6f04d29e76059813b27c65e73068bf28f16e5668941eff94e8472a370"
	"3cac5608f04d287f60d1800a679f7173fbb27a1a4c6ce57fabdac7a814969e00"
	"3cac63b6f04d296fe07d813b64efeadb14f2fe278ec4e89bfce9f5e089eb10e0"
	"3cac5608f04d287f6057810aede9f3d0c700754b834bed77d6fad6009a524f80"
	"3cac63b6f04d29e760b781bb29faa70905c37c2f771bd1abf9dfbfb000634360"
	"3cac5608f04d287fe413800a2813655dc58cf2830c8b734c3169f82cb402df20"
	"3cac63b6f04d2d6fe0f1813b6d8e9a523f3d8f470f11b997f6118c6e296ebba0"
	"3cac5608f04d227f60c5810a6b3e37a0ca5b87ab8ee95555fa2ae4014f4ff940"
	"3cac63b6f04d29e7416381bb3efc7780051ff5ef631b16efefb7978aa11ec0a0"
	"3cac5608f04d227f404f810a7aefb372dbafbc8495ffedeafc1094b051922740"
	"3cac63b6f04d296fe059813b65f6a3b3060fff5796f62863c0bef61014609230"
	"3cac5608f04d227f61c3810a77cfc595fba5e619ec18eb887cc05fcb4e1c0ec0";

static void tone_frames(uint8_t frames[25][32])
{
	for (unsigned int i = 0; i < 25 * 32; i++) {
		unsigned int byte;
		g_assert_true(sscanf(tone_frames_hex + 2 * i, "%2x", &byte) == 1);
		frames[i / 32][i % 32] = (uint8_t) byte;
	}
}

static void test_frame_sizes(void)
{
	/* RFC 4867 section 3.6 (TS 26.101 table A.1b), and TS 26.201 for AMR-WB */
	g_assert_cmpint(amr_frame_bits(false, 0), ==, 95);
	g_assert_cmpint(amr_frame_bits(false, 7), ==, 244);
	g_assert_cmpint(amr_frame_bits(false, 8), ==, 39);
	g_assert_cmpint(amr_frame_bits(false, 15), ==, 0);
	g_assert_cmpint(amr_frame_bits(false, 9), ==, -1);
	g_assert_cmpint(amr_frame_bits(true, 8), ==, 477);
	g_assert_cmpint(amr_frame_bits(true, 2), ==, 253);
	g_assert_cmpint(amr_frame_bits(true, 9), ==, 40);
}

static void test_fmtp(void)
{
	struct amr_payload_format format;
	g_assert_cmpint(amr_payload_format_parse(NULL, false, &format), ==, 0);
	g_assert_false(format.octet_aligned);
	g_assert_cmpint(amr_payload_format_parse("mode-set=0,2,5,7; octet-align=1", false, &format), ==, 0);
	g_assert_true(format.octet_aligned);
	g_assert_false(format.crc);
	g_assert_cmpint(amr_payload_format_parse("octet-align=1;crc=1", true, &format), ==, 0);
	g_assert_true(format.crc && format.wideband);
	g_assert_cmpint(amr_payload_format_parse("octet-align=0", false, &format), ==, 0);
	g_assert_false(format.octet_aligned);
	g_assert_cmpint(amr_payload_format_parse("octet-align=1; interleaving=4", false, &format), ==, -ENOTSUP);
}

/* Section 4.3: CMR(4) F(1) FT(4) Q(1) then the frame's bits, MSB first, with no gap */
static void test_bandwidth_efficient_layout(void)
{
	uint8_t payload[40] = { 0 };
	/* CMR 15, F 0, FT 7, Q 1: 1111 0 0111 1 -> 0xf3 then 11.. ; speech bits all ones then 0 */
	const unsigned int header_bits = 10, speech_bits = 244;
	unsigned int position = 0;
	unsigned int header = 0xf << 6 | 0 << 5 | 7 << 1 | 1;
	for (int b = 9; b >= 0; b--, position++)
		if (header >> b & 1)
			payload[position / 8] |= (uint8_t) (0x80 >> position % 8);
	for (unsigned int b = 0; b < speech_bits; b++, position++)
		if (b % 3 == 0)
			payload[position / 8] |= (uint8_t) (0x80 >> position % 8);
	size_t length = (header_bits + speech_bits + 7) / 8;
	g_assert_cmpuint(length, ==, 32);
	g_assert_cmphex(payload[0], ==, 0xf3);

	struct amr_payload_format format = { .wideband = false };
	uint8_t out[64];
	struct amr_frame frames[AMR_MAX_FRAMES];
	g_assert_cmpint(amr_depacketise(&format, payload, length, out, sizeof(out), frames), ==, 1);
	g_assert_cmpuint(frames[0].offset, ==, 0);
	g_assert_cmpuint(frames[0].length, ==, 32);
	g_assert_cmpuint(frames[0].frame_type, ==, 7);
	g_assert_cmphex(out[0], ==, 0x3c);          /* storage header 0|0111|1|00 */
	for (unsigned int b = 0; b < speech_bits; b++)
		g_assert_cmpuint(out[1 + b / 8] >> (7 - b % 8) & 1, ==, b % 3 == 0);
	/* the storage frame's padding bits are zero */
	g_assert_cmphex(out[31] & 0x0f, ==, 0);
	/* one octet short: refused */
	g_assert_cmpint(amr_depacketise(&format, payload, length - 1, out, sizeof(out), frames), ==, -EINVAL);
	/* too small an output */
	g_assert_cmpint(amr_depacketise(&format, payload, length, out, 20, frames), ==, -ENOSPC);
}

static void round_trip(bool octet_aligned, bool wideband)
{
	uint8_t tone[25][32];
	tone_frames(tone);
	/* a 12.2k frame, a hand-made 4.75k one (FT 0, 95 bits), another 12.2k */
	uint8_t small[13] = { 0x04, 0xa5, 0x5a, 0xff, 0x00, 0x81, 0x7e, 0x33, 0xcc, 0x0f, 0xf0, 0x12, 0x80 };
	const uint8_t *in[3] = { tone[0], small, tone[1] };
	if (wideband) {
		/* AMR-WB FT 0 is 132 bits: 18 octets */
		static uint8_t wb[18];
		for (unsigned int i = 1; i < 18; i++)
			wb[i] = (uint8_t) (i * 37);
		wb[0] = 0x04;
		wb[17] &= 0xf0;                         /* 132 bits: 4 of the last octet */
		in[1] = wb;
		in[0] = in[2] = wb;
	}
	struct amr_payload_format format = { .wideband = wideband, .octet_aligned = octet_aligned };
	uint8_t payload[200], out[256];
	int length = amr_packetise(&format, in, 3, payload, sizeof(payload));
	g_assert_cmpint(length, >, 0);
	g_assert_cmphex(payload[0] >> 4, ==, 0xf);   /* CMR 15 */
	struct amr_frame frames[AMR_MAX_FRAMES];
	g_assert_cmpint(amr_depacketise(&format, payload, (size_t) length, out, sizeof(out), frames), ==, 3);
	for (unsigned int i = 0; i < 3; i++) {
		int bits = amr_frame_bits(wideband, in[i][0] >> 3 & 0xf);
		g_assert_cmpuint(frames[i].length, ==, 1 + ((size_t) bits + 7) / 8);
		g_assert_cmpmem(out + frames[i].offset, frames[i].length, in[i], frames[i].length);
	}
}

static void test_round_trip_bandwidth_efficient(void) { round_trip(false, false); }
static void test_round_trip_octet_aligned(void) { round_trip(true, false); }
static void test_round_trip_wideband(void) { round_trip(false, true); round_trip(true, true); }

static void test_octet_aligned_crc_and_no_speech(void)
{
	uint8_t tone[25][32];
	tone_frames(tone);
	/* CMR 15; ToC: NO_DATA (F 1, FT 15), SID (F 1, FT 8), speech (F 0, FT 7); CRC octets for the
	 * SID and the speech frame; 5 SID octets (39 bits); the speech frame */
	uint8_t payload[64];
	size_t at = 0;
	payload[at++] = 0xf0;
	payload[at++] = 0x80 | 15 << 3 | 1 << 2;
	payload[at++] = 0x80 | 8 << 3 | 1 << 2;
	payload[at++] = 0x00 | 7 << 3 | 1 << 2;
	payload[at++] = 0xaa;
	payload[at++] = 0x55;
	memset(payload + at, 0x5a, 5);
	at += 5;
	memcpy(payload + at, tone[3] + 1, 31);
	at += 31;
	struct amr_payload_format format = { .octet_aligned = true, .crc = true };
	uint8_t out[128];
	struct amr_frame frames[AMR_MAX_FRAMES];
	g_assert_cmpint(amr_depacketise(&format, payload, at, out, sizeof(out), frames), ==, 1);
	g_assert_cmpmem(out + frames[0].offset, frames[0].length, tone[3], 32);
	/* a damaged speech frame (Q 0) is left out too */
	payload[3] &= (uint8_t) ~0x04;
	g_assert_cmpint(amr_depacketise(&format, payload, at, out, sizeof(out), frames), ==, 0);
	/* a ToC whose F bit promises entries that never come */
	uint8_t endless[3] = { 0xf0, 0xbc, 0xbc };
	g_assert_cmpint(amr_depacketise(&format, endless, sizeof(endless), out, sizeof(out), frames), ==, -EINVAL);
	/* a reserved frame type */
	uint8_t reserved[2] = { 0xf0, 11 << 3 | 1 << 2 };
	g_assert_cmpint(amr_depacketise(&format, reserved, sizeof(reserved), out, sizeof(out), frames), ==, -EINVAL);
}

static double tone_share(const int16_t *samples, size_t count, double frequency, double rate)
{
	double coefficient = 2 * cos(2 * M_PI * frequency / rate), previous = 0, before = 0, energy = 0;
	for (size_t i = 0; i < count; i++) {
		double next = samples[i] + coefficient * previous - before;
		before = previous;
		previous = next;
		energy += (double) samples[i] * samples[i];
	}
	double power = previous * previous + before * before - coefficient * previous * before;
	return energy > 0 ? 2 * power / (double) count / energy : 0;
}

static void decode_tone(bool octet_aligned, unsigned int frames_per_packet)
{
	uint8_t tone[25][32];
	tone_frames(tone);
	struct codec_chain_config config = {
		.input = { .encoding = "AMR", .clock_rate = 8000, .payload_type = 97,
			   .fmtp = octet_aligned ? "octet-align=1" : NULL },
		.output = { .encoding = "L16", .clock_rate = 8000, .payload_type = 96 },
		.input_dtmf_pt = -1, .output_dtmf_pt = -1,
	};
	const char *reason = NULL;
	struct codec_chain *chain = codec_chain_new(&config, &reason);
	g_assert_nonnull(chain);
	struct amr_payload_format format = { .octet_aligned = octet_aligned };
	int16_t pcm[25 * 160];
	size_t samples = 0;
	for (unsigned int i = 0; i + frames_per_packet <= 25; i += frames_per_packet) {
		const uint8_t *in[AMR_MAX_FRAMES];
		for (unsigned int f = 0; f < frames_per_packet; f++)
			in[f] = tone[i + f];
		uint8_t packet[12 + 200];
		int length = amr_packetise(&format, in, frames_per_packet, packet + 12, sizeof(packet) - 12);
		g_assert_cmpint(length, >, 0);
		uint16_t sequence = (uint16_t) (100 + i / frames_per_packet);
		uint32_t timestamp = 160 * i;
		uint8_t header[12] = { 0x80, 97, (uint8_t) (sequence >> 8), (uint8_t) sequence,
				       (uint8_t) (timestamp >> 24), (uint8_t) (timestamp >> 16),
				       (uint8_t) (timestamp >> 8), (uint8_t) timestamp, 0, 0, 0x12, 0x34 };
		memcpy(packet, header, 12);
		g_assert_cmpint(codec_chain_push(chain, packet, 12 + (size_t) length), >=, 0);
		uint8_t out[CODEC_CHAIN_MAX_PACKET];
		int got;
		while ((got = codec_chain_pop(chain, out, sizeof(out))) > 0) {
			g_assert_cmpint(got, ==, 12 + 320);    /* 20 ms of L16 */
			for (int s = 0; s < 160 && samples < G_N_ELEMENTS(pcm); s++)
				pcm[samples++] = (int16_t) (out[12 + 2 * s] << 8 | out[13 + 2 * s]);
		}
	}
	struct codec_chain_stats stats;
	codec_chain_get_stats(chain, &stats);
	g_assert_cmpuint(stats.decode_errors, ==, 0);
	g_assert_cmpuint(samples, >=, 20 * 160);
	/* past the decoder's start-up, the 1 kHz tone carries the energy */
	double share = tone_share(pcm + 800, samples - 800, 1000, 8000);
	if (g_test_verbose())
		printf("AMR %s, %u frames/packet: 1 kHz share %.3f\n", octet_aligned ? "octet-aligned" : "bandwidth-efficient",
		       frames_per_packet, share);
	g_assert_cmpfloat(share, >, 0.8);
	codec_chain_free(chain);
}

static void test_chain_decodes_bandwidth_efficient(void) { decode_tone(false, 1); }
static void test_chain_decodes_octet_aligned_multiframe(void) { decode_tone(true, 5); }

static void test_chain_amr_decode_only(void)
{
	g_assert_true(codec_chain_supports("AMR", false));
	g_assert_true(codec_chain_supports("AMR-WB", false));
	/* Debian's libavcodec has no AMR encoder: --codecs says so, transcoding to AMR is refused */
	g_assert_false(codec_chain_supports("AMR", true));
	g_assert_false(codec_chain_supports("AMR-WB", true));
	struct codec_chain_config config = {
		.input = { .encoding = "AMR", .payload_type = 97, .fmtp = "interleaving=2" },
		.output = { .encoding = "PCMU", .payload_type = 0 },
		.input_dtmf_pt = -1, .output_dtmf_pt = -1,
	};
	const char *reason = NULL;
	g_assert_null(codec_chain_new(&config, &reason));
	g_assert_nonnull(strstr(reason, "interleaving"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/amr_payload/frame_sizes", test_frame_sizes);
	g_test_add_func("/amr_payload/fmtp", test_fmtp);
	g_test_add_func("/amr_payload/bandwidth_efficient_layout", test_bandwidth_efficient_layout);
	g_test_add_func("/amr_payload/round_trip_bandwidth_efficient", test_round_trip_bandwidth_efficient);
	g_test_add_func("/amr_payload/round_trip_octet_aligned", test_round_trip_octet_aligned);
	g_test_add_func("/amr_payload/round_trip_wideband", test_round_trip_wideband);
	g_test_add_func("/amr_payload/octet_aligned_crc_and_no_speech", test_octet_aligned_crc_and_no_speech);
	g_test_add_func("/amr_payload/chain_decodes_bandwidth_efficient", test_chain_decodes_bandwidth_efficient);
	g_test_add_func("/amr_payload/chain_decodes_octet_aligned_multiframe", test_chain_decodes_octet_aligned_multiframe);
	g_test_add_func("/amr_payload/chain_amr_decode_only", test_chain_amr_decode_only);
	return g_test_run();
}
