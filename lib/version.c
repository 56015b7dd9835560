/* See version.h. The Makefile compiles this file alone with -DRTPENGINE_VERSION. */
#include "version.h"

#ifndef RTPENGINE_VERSION
#error "RTPENGINE_VERSION must be given by the build"
#endif

const char rtpengine_version[] = RTPENGINE_VERSION;
