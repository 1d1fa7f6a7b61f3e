// See include/cseccomp.h. Reference for the ioctls and structures: the kernel's
// include/uapi/linux/seccomp.h and Documentation/userspace-api/seccomp_filter.rst.
#define _GNU_SOURCE
#include "cseccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/seccomp.h>

#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif

long cseccomp_receive_listener(int channel, int *listener, char *text, size_t capacity) {
    *listener = -1;
    if (capacity == 0) return -EINVAL;
    union { struct cmsghdr align; char bytes[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = { .iov_base = text, .iov_len = capacity - 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                          .msg_controllen = sizeof control.bytes };
    ssize_t n;
    do { n = recvmsg(channel, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    text[n] = '\0';
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(sizeof(int))) continue;
        // One descriptor fits the control buffer; a sender that tried more had them cut (MSG_CTRUNC).
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
        if (*listener >= 0) close(fd); else *listener = fd;
    }
    return (long)n;
}

// The kernel's struct seccomp_notif may be larger than this header's; the buffer is sized from
// SECCOMP_GET_NOTIF_SIZES, and the kernel wants it zeroed.
static size_t notif_size(void) {
    static size_t size = 0;
    if (size == 0) {
        struct seccomp_notif_sizes sizes;
        memset(&sizes, 0, sizeof sizes);
        size_t s = sizeof(struct seccomp_notif);
        if (syscall(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0 && sizes.seccomp_notif > s) s = sizes.seccomp_notif;
        size = s;
    }
    return size;
}

int cseccomp_receive(int listener, cseccomp_notification *out) {
    size_t size = notif_size();
    struct seccomp_notif *n = calloc(1, size);
    if (n == NULL) return -ENOMEM;
    int r = ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n);
    if (r != 0) { r = -errno; free(n); return r; }
    out->id = n->id;
    out->pid = n->pid;
    out->nr = n->data.nr;
    out->arch = n->data.arch;
    memcpy(out->args, n->data.args, sizeof out->args);
    free(n);
    return 0;
}

int cseccomp_continue(int listener, uint64_t id) {
    struct seccomp_notif_resp response;
    memset(&response, 0, sizeof response);
    response.id = id;
    response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response) == 0 ? 0 : -errno;
}

int cseccomp_id_valid(int listener, uint64_t id) {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0 ? 0 : -errno;
}

long cseccomp_read_memory(int32_t pid, uint64_t address, void *buffer, size_t length) {
    struct iovec local = { .iov_base = buffer, .iov_len = length };
    struct iovec remote = { .iov_base = (void *)(uintptr_t)address, .iov_len = length };
    ssize_t n = process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0);
    return n < 0 ? -errno : (long)n;
}

int cseccomp_socket_info(int32_t pid, int fd, int *domain, int *type) {
    long pidfd = syscall(__NR_pidfd_open, (pid_t)pid, 0);
    if (pidfd < 0) return -errno;
    long copy = syscall(__NR_pidfd_getfd, (int)pidfd, fd, 0);
    int r = 0;
    if (copy < 0) {
        r = -errno;
    } else {
        socklen_t length = sizeof *domain;
        if (getsockopt((int)copy, SOL_SOCKET, SO_DOMAIN, domain, &length) != 0) r = -errno;
        length = sizeof *type;
        if (r == 0 && getsockopt((int)copy, SOL_SOCKET, SO_TYPE, type, &length) != 0) r = -errno;
        close((int)copy);
    }
    close((int)pidfd);
    return r;
}

int cseccomp_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}
