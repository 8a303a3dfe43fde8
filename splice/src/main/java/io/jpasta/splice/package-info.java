/**
 * Loopback TCP bypass with splice(2) (issue: splice). Not implemented yet.
 */
package io.jpasta.splice;
