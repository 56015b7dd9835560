/* Printing a decoded ng reply: readable (indented `key: value` lines) or as JSON. */
#ifndef RTPENGINE_NG_CLIENT_PRINT_H
#define RTPENGINE_NG_CLIENT_PRINT_H

#include <stdio.h>
#include "bencode.h"

/* Dictionaries as `key: value` lines, lists as `- value` lines, nested containers indented
 * by two spaces under their key. A string that spans lines (an "sdp") starts on the line
 * after its key and is written as it is, unindented, so it can be copied out unchanged. */
void ng_client_print_readable(FILE *out, const struct bencode_item *item);

/* One JSON value (RFC 8259) and a newline: dictionaries as objects (in the reply's order),
 * lists as arrays, integers as numbers, strings as strings. */
void ng_client_print_json(FILE *out, const struct bencode_item *item);

#endif
