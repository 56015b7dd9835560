/* The version of this build, one string for every program: `git describe` of the checkout
 * the build came from, else the VERSION file (see the Makefile). */
#ifndef RTPENGINE_LIB_VERSION_H
#define RTPENGINE_LIB_VERSION_H

extern const char rtpengine_version[];

#endif
