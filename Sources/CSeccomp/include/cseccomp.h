#ifndef CSECCOMP_H
#define CSECCOMP_H
// The supervisor's side of seccomp user notification for Sandbox/NetworkWatch.swift. Swift's Glibc
// module has neither the ioctl numbers (function-like macros over struct sizes) nor process_vm_readv,
// pidfd_getfd or the SCM_RIGHTS macros, so each call is a plain C function here; the structures come
// from the installed kernel header <linux/seccomp.h>. Every function returns 0 (or a byte count) on
// success and -errno on failure; none aborts.
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

/// The system calls the watcher's filter reports (the numbers of the architecture built for).
enum {
    CSECCOMP_NR_SOCKET = __NR_socket,
    CSECCOMP_NR_CONNECT = __NR_connect,
    CSECCOMP_NR_SENDTO = __NR_sendto,
};

/// One notification, copied out of the kernel's struct seccomp_notif.
typedef struct {
    uint64_t id;
    uint32_t pid;          // in the supervisor's pid namespace
    int32_t nr;            // the system call number
    uint32_t arch;         // AUDIT_ARCH_*
    uint64_t args[6];
} cseccomp_notification;

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no spawned child inherits, created atomically.
int cseccomp_pipe_cloexec(int fds[2]);

/// Receives the listener descriptor (SCM_RIGHTS) and the text of one message from the watcher.
/// `*listener` is -1 when the message carried none. Returns the text's length, 0 at end of file.
long cseccomp_receive_listener(int channel, int *listener, char *text, size_t capacity);

/// SECCOMP_IOCTL_NOTIF_RECV into `out` (blocks; poll the listener first).
int cseccomp_receive(int listener, cseccomp_notification *out);

/// SECCOMP_IOCTL_NOTIF_SEND with SECCOMP_USER_NOTIF_FLAG_CONTINUE: the call runs as if unfiltered.
int cseccomp_continue(int listener, uint64_t id);

/// SECCOMP_IOCTL_NOTIF_ID_VALID: 0 while the notifying thread is still blocked in that call, so what
/// was read about its pid since it was received belongs to it.
int cseccomp_id_valid(int listener, uint64_t id);

/// Up to `length` bytes at `address` in `pid` (process_vm_readv); the count may be short.
long cseccomp_read_memory(int32_t pid, uint64_t address, void *buffer, size_t length);

/// The domain and type (SO_DOMAIN, SO_TYPE) of descriptor `fd` of `pid`, through a pidfd_getfd copy
/// that is closed again.
int cseccomp_socket_info(int32_t pid, int fd, int *domain, int *type);

#endif
