// understudy-netwatch: the first program inside a sandbox. It installs a seccomp filter that reports
// the application's attempts to reach a network to the supervisor, hands the filter's listener
// descriptor to the supervisor, and executes the application in its own place:
//
//   bwrap … -- /run/understudy/netwatch <fd> -- <application argv…>
//
// <fd> is a SOCK_SEQPACKET unix socket the supervisor passed in (Sandbox/NetworkWatch.swift). One
// message goes over it: "ok" with the listener as SCM_RIGHTS, or "unavailable: <why>" without one.
// Then the socket is closed, and only descriptors 0-2 reach the application.
//
// The filter (x86_64 only; reference: the kernel's include/uapi/linux/seccomp.h and
// Documentation/userspace-api/seccomp_filter.rst) answers SECCOMP_RET_USER_NOTIF — the calling
// thread waits until the supervisor has read the call's arguments and answered CONTINUE — for
//   socket(domain, …)        every domain except AF_UNIX and AF_NETLINK (inet, inet6, packet, vsock, …)
//   connect(fd, addr, len)   every call: BPF cannot read the address family behind the pointer, so
//                            AF_UNIX connects (X11, D-Bus) are reported too and classified there
//   sendto(…, dest, len)     with a destination (args[4] != NULL); a plain send on a connected socket is not
// and allows everything else. Not reported: sendmsg/sendmmsg. Their destination sits in a struct
// behind a pointer, so each one would have to stop in the supervisor (D-Bus sends every message with
// sendmsg; X11 through libxcb uses writev, and Mousepad's start-up made no sendmsg at all), and this
// program hands the listener over with sendmsg itself, after the filter is in place — it would wait
// for a supervisor that has no listener yet. A datagram sent with them still needs an inet socket,
// whose socket() call is reported. Also refused or killed, so that nothing reaches a socket around
// the filter:
//   io_uring_setup           ENOSYS: io_uring's IORING_OP_SOCKET/CONNECT/SENDMSG never pass seccomp
//   a non-x86_64 ABI         the process is killed: i386 (int 0x80, socketcall multiplexes its
//   or an x32 call           arguments through memory) and x32 (nr | 0x40000000) calls would bypass
//                            the checks above; nothing in the shipped sandboxes uses them
// The filter only observes: enforcement is the network namespace's. CONTINUE lets the kernel run the
// call as if no filter were there (and a second thread could change the address after the supervisor
// read it), so it is not a security boundary and is not used as one.
//
// Failure modes: with no usable <fd> the program exits 126 before running anything (the supervisor
// must be there to read). When seccomp is unavailable it says so over the socket and runs the
// application unwatched; the supervisor then reports the network as not observable.

#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif
#define X32_SYSCALL_BIT 0x40000000U

static int usage(void) {
    fprintf(stderr, "usage: understudy-netwatch <fd> -- <program> [arguments…]\n");
    return 126;
}

// One SOCK_SEQPACKET message, with `passed` as SCM_RIGHTS when it is >= 0.
static int report(int channel, const char *text, int passed) {
    struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
    union { struct cmsghdr align; char bytes[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (passed >= 0) {
        msg.msg_control = control.bytes;
        msg.msg_controllen = sizeof control.bytes;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &passed, sizeof(int));
    }
    ssize_t n;
    do { n = sendmsg(channel, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

#if defined(__x86_64__)
#define LOAD(offset) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (offset))
#define RET(value) BPF_STMT(BPF_RET | BPF_K, (value))
#define NR offsetof(struct seccomp_data, nr)
#define ARCH offsetof(struct seccomp_data, arch)
// Little-endian: the low 32 bits of args[i] come first.
#define ARG_LOW(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HIGH(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)

// Jump offsets count instructions after the jump: NOTIFY is instruction 18, ALLOW 19.
static struct sock_filter program[] = {
    /*  0 */ LOAD(ARCH),
    /*  1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    /*  2 */ RET(SECCOMP_RET_KILL_PROCESS),
    /*  3 */ LOAD(NR),
    /*  4 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1),
    /*  5 */ RET(SECCOMP_RET_KILL_PROCESS),
    /*  6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
    /*  7 */ RET(SECCOMP_RET_ERRNO | ENOSYS),
    /*  8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_connect, 9, 0),
    /*  9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 3),
    /* 10 */ LOAD(ARG_LOW(0)),
    /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 7, 0),
    /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 6, 5),
    /* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sendto, 0, 5),
    /* 14 */ LOAD(ARG_LOW(4)),
    /* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
    /* 16 */ LOAD(ARG_HIGH(4)),
    /* 17 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
    /* 18 */ RET(SECCOMP_RET_USER_NOTIF),
    /* 19 */ RET(SECCOMP_RET_ALLOW),
};

// The listener descriptor, or -1 with `why` filled.
static int install(char *why, size_t size) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(why, size, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
        return -1;
    }
    struct sock_fprog fprog = { .len = sizeof program / sizeof program[0], .filter = program };
    long fd = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
    if (fd < 0) {
        snprintf(why, size, "seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER): %s", strerror(errno));
        return -1;
    }
    return (int)fd;
}
#else
static int install(char *why, size_t size) {
    snprintf(why, size, "the seccomp filter is written for x86_64 only");
    return -1;
}
#endif

int main(int argc, char **argv) {
    if (argc < 4 || strcmp(argv[2], "--") != 0) return usage();
    char *end = NULL;
    errno = 0;
    long parsed = strtol(argv[1], &end, 10);
    if (errno != 0 || end == argv[1] || *end != '\0' || parsed < 3 || parsed > 1024) return usage();
    int channel = (int)parsed;
    int type = 0;
    socklen_t length = sizeof type;
    if (getsockopt(channel, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_SEQPACKET) {
        fprintf(stderr, "understudy-netwatch: descriptor %d is not the supervisor's socket\n", channel);
        return 126;
    }

    char why[256] = "";
    int listener = install(why, sizeof why);
    if (listener >= 0) {
        // From here on every reported call of this process waits for the supervisor, which has not
        // got the listener yet: nothing below may be one (sendmsg, close, execve are not).
        if (report(channel, "ok", listener) != 0) {
            // Without the supervisor the filter's calls would fail with ENOSYS: do not run the application.
            fprintf(stderr, "understudy-netwatch: handing the listener over failed: %s\n", strerror(errno));
            return 126;
        }
        close(listener);
    } else {
        char text[300];
        snprintf(text, sizeof text, "unavailable: %s", why);
        if (report(channel, text, -1) != 0) {
            fprintf(stderr, "understudy-netwatch: reporting failed: %s\n", strerror(errno));
            return 126;
        }
    }
    close(channel);
    execvp(argv[3], argv + 3);
    fprintf(stderr, "understudy-netwatch: %s: %s\n", argv[3], strerror(errno));
    return 127;
}
