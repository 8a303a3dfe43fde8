/**
 * Namespaces: the client of jpasta-nsd, netlink, and quitting when the namespace goes away. (Theory of operation below.)
 */
package io.jpasta.netns;
