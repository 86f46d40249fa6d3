/* libFuzzer target for the control protocol's request parser: any bytes a
 * client sends as one line must give a request or a reason, never a crash,
 * a leak or undefined behaviour; a parsed request must be well-formed. */
#include "ctl/ctl.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cp_ctl_req r;
	char err[256];

	err[0] = '\0';
	if (cp_ctl_parse((const char *)data, size, &r, err, sizeof(err)) != 0) {
		if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
			__builtin_trap();  /* every refusal says why */
		return 0;
	}
	if ((unsigned)r.cmd >= CP_CTL__COUNT || r.vlen > CP_IND_MAX || r.value[r.vlen] != '\0' ||
	    memchr(r.path, '\0', sizeof(r.path)) == NULL)
		__builtin_trap();
	return 0;
}
