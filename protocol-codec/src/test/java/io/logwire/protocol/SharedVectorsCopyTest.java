package io.logwire.protocol;

import io.logwire.protocol.support.Vectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The vectors under {@code src/test/resources} are copies of {@code ../shared/protocol}, the
 * normative ones; this catches a copy that has drifted. Checkouts without {@code ../shared}
 * (anyone's but the team workspace) skip it.
 */
class SharedVectorsCopyTest {

    @ParameterizedTest(name = "{0} is byte-identical to ../shared/protocol/{0}")
    @ValueSource(strings = {Vectors.V1_RESOURCE, Vectors.V2_RESOURCE})
    void copyIsByteIdenticalToTheSharedFile(String name) throws IOException {
        Optional<Path> root = repositoryRoot();
        assumeTrue(root.isPresent(), "no repository root (a directory with pom.xml and protocol-codec/) above "
                + Path.of("").toAbsolutePath() + ", so ../shared cannot be located");
        Path shared = sharedProtocolDirectory(root.get()).resolve(name).normalize();
        assumeTrue(Files.isRegularFile(shared), shared + " does not exist: only the team workspace has ../shared "
                + "next to the repository (or next to the main checkout of a git worktree), so there is nothing "
                + "to compare the copy with");

        byte[] expected = Files.readAllBytes(shared);
        byte[] onClasspath = Vectors.resourceBytes(name);
        byte[] inSourceTree = Files.readAllBytes(root.get().resolve("protocol-codec/src/test/resources").resolve(name));

        assertThat(Arrays.mismatch(onClasspath, expected))
                .as("first differing byte of the classpath copy of %s (%d bytes) and %s (%d bytes); -1 = identical",
                        name, onClasspath.length, shared, expected.length)
                .isEqualTo(-1);
        assertThat(Arrays.mismatch(inSourceTree, expected))
                .as("first differing byte of src/test/resources/%s and %s; -1 = identical", name, shared)
                .isEqualTo(-1);
    }

    /**
     * {@code ../shared/protocol} next to the repository; for a git worktree (whose {@code .git} is
     * a file naming {@code <main>/.git/worktrees/<name>}) next to the main checkout if it is not
     * next to the worktree.
     */
    static Path sharedProtocolDirectory(Path root) throws IOException {
        Path direct = root.resolve("../shared/protocol").normalize();
        Path gitFile = root.resolve(".git");
        if (Files.isDirectory(direct) || !Files.isRegularFile(gitFile)) {
            return direct;
        }
        String line = Files.readString(gitFile).trim();
        if (!line.startsWith("gitdir:")) {
            return direct;
        }
        // <main>/.git/worktrees/<name> -> <main>
        Path gitDir = root.resolve(line.substring("gitdir:".length()).trim()).normalize();
        Path mainCheckout = gitDir.getParent() == null || gitDir.getParent().getParent() == null
                || gitDir.getParent().getParent().getParent() == null ? null
                : gitDir.getParent().getParent().getParent();
        return mainCheckout == null ? direct : mainCheckout.resolve("../shared/protocol").normalize();
    }

    /** The nearest directory at or above the working directory holding pom.xml and protocol-codec/. */
    static Optional<Path> repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("protocol-codec"))) {
                return Optional.of(dir);
            }
        }
        return Optional.empty();
    }
}
