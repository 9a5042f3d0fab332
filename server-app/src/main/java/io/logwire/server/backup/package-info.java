/** The {@code backup}, {@code restore} and {@code verify-backup} commands of {@code logwire-server} (embedded store). */
package io.logwire.server.backup;
