package io.jpasta.netns.sys;

/**
 * Offsets and sizes of the kernel structs that the socket code lays out in off-heap memory for {@link Sys}, on
 * x86_64 (LP64: pointers and {@code size_t} 8 bytes, {@code socklen_t} 4), from the C definitions:
 *
 * <pre>
 * struct msghdr {                          // sys/socket.h, 56 bytes
 *     void         *msg_name;              //  0
 *     socklen_t     msg_namelen;           //  8
 *     struct iovec *msg_iov;               // 16
 *     size_t        msg_iovlen;            // 24
 *     void         *msg_control;           // 32
 *     size_t        msg_controllen;        // 40
 *     int           msg_flags;             // 48
 * };
 * struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; };          // msg_len 56, 64 bytes
 * struct iovec   { void *iov_base; size_t iov_len; };                       // 0, 8; 16 bytes
 * struct sockaddr_in  { sa_family_t sin_family; in_port_t sin_port;         // 0, 2
 *                       struct in_addr sin_addr; unsigned char sin_zero[8]; };  // 4; 16 bytes
 * struct sockaddr_in6 { sa_family_t sin6_family; in_port_t sin6_port;       // 0, 2
 *                       uint32_t sin6_flowinfo; struct in6_addr sin6_addr;   // 4, 8
 *                       uint32_t sin6_scope_id; };                           // 24; 28 bytes
 * struct linger  { int l_onoff; int l_linger; };                            // 0, 4; 8 bytes
 * </pre>
 *
 * Structs are in native byte order; the port and addresses inside a sockaddr are in network order.
 */
public final class Structs {
    private Structs() {
    }

    /** struct msghdr. */
    public static final int MSG_NAME = 0, MSG_NAMELEN = 8, MSG_IOV = 16, MSG_IOVLEN = 24, MSG_CONTROL = 32,
            MSG_CONTROLLEN = 40, MSG_FLAGS = 48, MSGHDR_SIZE = 56;
    /** struct mmsghdr: a msghdr, then the bytes the call moved. */
    public static final int MMSG_LEN = 56, MMSGHDR_SIZE = 64;
    /** struct iovec. */
    public static final int IOV_BASE = 0, IOV_LEN = 8, IOVEC_SIZE = 16;
    /** struct sockaddr_in and sockaddr_in6: the family and port of both, then each one's address. */
    public static final int SA_FAMILY = 0, SA_PORT = 2, SIN_ADDR = 4, SOCKADDR_IN_SIZE = 16;
    public static final int SIN6_FLOWINFO = 4, SIN6_ADDR = 8, SIN6_SCOPE_ID = 24, SOCKADDR_IN6_SIZE = 28;
    /** struct linger. */
    public static final int L_ONOFF = 0, L_LINGER = 4, LINGER_SIZE = 8;
}
