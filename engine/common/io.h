/* Whole reads and writes on file descriptors: through EINTR and short
 * counts, which pipes and large files both give. Control plane. */
#ifndef CP_IO_H
#define CP_IO_H

#include <stddef.h>
#include <stdint.h>

/* All n bytes, at offset off (pread/pwrite), or at the file position when
 * off is -1 (read/write). Return 0, -errno, or -EIO at an early end. */
int cp_write_all(int fd, const void *p, size_t n, int64_t off);
int cp_read_all(int fd, void *p, size_t n, int64_t off);

#endif
