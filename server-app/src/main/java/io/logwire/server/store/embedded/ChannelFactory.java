package io.logwire.server.store.embedded;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/** Opens segment files; tests substitute one that injects I/O failures. Implementations are thread-safe. */
@FunctionalInterface
interface ChannelFactory {
    ChannelFactory DEFAULT = FileChannel::open;

    FileChannel open(Path path, OpenOption... options) throws IOException;
}
