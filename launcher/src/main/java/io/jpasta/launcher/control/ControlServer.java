package io.jpasta.launcher.control;

import io.jpasta.netns.sys.Epoll;

/**
 * A control socket served from the loop: pesto's ({@link UnixServer}) or the JSON API ({@link ApiServer}). Their
 * descriptors are registered as {@link Epoll#T_CONTROL} with an index that names the server (bits 2-7, 64 servers),
 * the descriptor's role (bits 0-1) and, for the API's clients, the client's slot (bits 8-23).
 */
public interface ControlServer {
    int ROLE_LISTEN = 0, ROLE_CLIENT = 1, ROLE_TIMER = 2;

    /** Handles an event of one of this server's descriptors (epoll index {@code index}, registered {@code fd}). */
    void onEvent(int index, int fd, int ev);

    /** Closes every client and the socket, and removes the socket file if it is still ours. */
    void close();

    /** @return the epoll index of server {@code id}'s descriptor of {@code role}, for client {@code slot} */
    static int index(int id, int role, int slot) {
        return slot << 8 | id << 2 | role;
    }

    /** @return the server number of an epoll index of {@link Epoll#T_CONTROL} */
    static int server(int index) {
        return (index >>> 2) & 0x3f;
    }

    static int role(int index) {
        return index & 3;
    }

    static int slot(int index) {
        return index >>> 8;
    }
}
