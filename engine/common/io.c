/* Whole reads and writes. Control plane. */
#include "common/io.h"

#include <errno.h>
#include <unistd.h>

static int all(int fd, char *b, size_t n, int64_t off, int wr)
{
	while (n > 0) {
		ssize_t k = off < 0 ? (wr ? write(fd, b, n) : read(fd, b, n))
				    : (wr ? pwrite(fd, b, n, (off_t)off) : pread(fd, b, n, (off_t)off));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		b += k;
		n -= (size_t)k;
		off += off < 0 ? 0 : k;
	}
	return 0;
}

int cp_write_all(int fd, const void *p, size_t n, int64_t off)
{
	return all(fd, (char *)p, n, off, 1);
}

int cp_read_all(int fd, void *p, size_t n, int64_t off)
{
	return all(fd, p, n, off, 0);
}
