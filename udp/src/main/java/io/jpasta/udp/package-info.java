/**
 * UDP flows and ICMP echo (issue: UDP). Not implemented yet.
 */
package io.jpasta.udp;
