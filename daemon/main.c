/* Placeholder while the daemon's main loop is being integrated. */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "rtpengine: not built yet\n");
	return 1;
}
