/** The {@code logwire} command line (picocli): one class per subcommand, plus the interactive shell. */
package io.logwire.client.cli;
