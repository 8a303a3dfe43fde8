/**
 * TCP translation between tap frames and host sockets (issue: TCP over the tap). Not implemented yet.
 */
package io.jpasta.tcp;
