package io.logwire.server.store.embedded;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.entry.MalformedEntryException;
import io.logwire.server.store.StoreException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Backup, verification and restore of an embedded store's segment files.
 *
 * <p><b>Backup</b> works on a live store without its directory lock and without writing to it:
 * it lists the segment files, opens them all (an open file stays readable if retention deletes
 * it meanwhile; a file retention deleted before it could be opened is skipped, and so is
 * everything before such a gap, since a backup must be contiguous), takes each file's length,
 * and copies that many bytes. Only the last listed segment can still be growing, so only its
 * copy can end in a record the writer was writing at that instant: the copy is cut at the last
 * whole record whose CRC matches. Every record of every copy is then checked (length, CRC32C,
 * sequence continuity, entries well-formed), and {@code manifest.json} is written last.
 *
 * <p><b>Guarantee.</b> The writer acknowledges a batch only after writing its record to the
 * file, and segment files only grow (apart from retention removing whole oldest files). The
 * listing and the lengths are taken after the backup starts, so every entry acknowledged
 * before the backup started, and not removed by retention before its file was opened, is in
 * the backup, exactly once. Entries acknowledged while the copy runs may or may not be.
 *
 * <p><b>Layout of a backup directory</b>: {@code manifest.json} ({@link BackupManifest}) and
 * {@code segments/<20-digit base>.log}, byte for byte the store's own files.
 *
 * <p><b>Restore</b> verifies the backup (lengths, SHA-256, every record), refuses a target
 * that is not empty, copies into a temporary directory under the target holding the target's
 * directory lock, checks the copies' SHA-256, forces them and renames the directory into place.
 *
 * <p>Everything here blocks on disk I/O: run it from a command or a thread of its own.
 */
public final class StoreBackup {
    private static final Logger LOG = LoggerFactory.getLogger(StoreBackup.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String RESTORING_DIR = "segments.restoring";

    private StoreBackup() {
    }

    /** Test seams: called with the listed files, and after every listed file has been opened. */
    record Hooks(Consumer<List<Path>> afterListing, Runnable afterOpening) {
        static final Hooks NONE = new Hooks(l -> { }, () -> { });
    }

    /**
     * Copies the store in {@code storeDir} (its {@link EmbeddedStoreConfig#dataDir}) into
     * {@code target}, which must not exist or be empty, and verifies the copy.
     *
     * @throws StoreException if there is no store, the target is not empty, a sealed segment is
     *                        damaged, or I/O fails (the partial backup has no manifest)
     */
    public static BackupManifest backup(Path storeDir, Path target) {
        return backup(storeDir, target, Clock.systemUTC(), Hooks.NONE);
    }

    static BackupManifest backup(Path storeDir, Path target, Clock clock, Hooks hooks) {
        String createdAt = clock.instant().toString();
        Path source = StoreFiles.segmentsDir(storeDir);
        if (!Files.isDirectory(source)) {
            throw new StoreException("no embedded store in " + storeDir.toAbsolutePath() + " (no "
                    + StoreFiles.SEGMENTS_DIR + "/ directory)");
        }
        requireEmptyOrAbsent(target, "backup target");
        Path targetSegments = StoreFiles.segmentsDir(target);
        List<Source> sources = new ArrayList<>();
        try {
            Files.createDirectories(targetSegments);
            TreeMap<Long, Path> listed = listSegments(source);
            hooks.afterListing().accept(List.copyOf(listed.values()));
            for (Map.Entry<Long, Path> e : listed.entrySet()) {
                FileChannel ch;
                try {
                    ch = FileChannel.open(e.getValue(), StandardOpenOption.READ);
                } catch (NoSuchFileException gone) {
                    // Retention removed it (it removes the oldest first): what came before is not contiguous.
                    LOG.info("Segment {} was removed (retention) before it could be copied; the backup starts after it",
                            e.getValue().getFileName());
                    closeAll(sources);
                    sources.clear();
                    continue;
                }
                sources.add(new Source(e.getKey(), e.getValue(), ch));
            }
            hooks.afterOpening().run();
            for (Source s : sources) {
                s.length = s.channel.size();
            }
            List<BackupManifest.SegmentFile> files = new ArrayList<>();
            long trimmed = 0;
            for (int i = 0; i < sources.size(); i++) {
                Source s = sources.get(i);
                boolean last = i == sources.size() - 1;
                Path copy = targetSegments.resolve(s.path.getFileName());
                long copied = copy(s.channel, s.length, copy);
                Scan scan = scan(copy, s.base);
                if (scan.problem != null) {
                    // Zeros after the last record are unused preallocated space (SegmentPreallocator), no damage.
                    long written = nonZeroEnd(copy, scan.validEnd);
                    if (!last && written > scan.validEnd) {
                        throw new StoreException("segment " + s.path + " of the live store is damaged: "
                                + scan.problem + " at offset " + scan.validEnd
                                + "; the server repairs it on its next start (recovery), back up after that");
                    }
                    try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                        ch.truncate(scan.validEnd);
                        ch.force(true);
                    }
                    if (written > scan.validEnd) {
                        // The record the writer was writing when the length was taken: not acknowledged yet.
                        trimmed = written - scan.validEnd;
                        LOG.info("Segment {}: cut {} bytes of a record being written during the copy ({})",
                                copy.getFileName(), trimmed, scan.problem);
                    }
                }
                files.add(new BackupManifest.SegmentFile(copy.getFileName().toString(), s.base, scan.endSequence,
                        scan.records, scan.validEnd, sha256(copy)));
            }
            checkContiguous(files);
            StoreFiles.forceDirectory(targetSegments);
            BackupManifest manifest = manifest(createdAt, clock.instant().toString(),
                    storeDir.toAbsolutePath().toString(), files, trimmed);
            writeManifest(target, manifest);
            LOG.info("Backed up {} entries (sequences {} to {}) in {} segments, {} bytes, from {} to {}",
                    manifest.entries(), manifest.firstSequence(), manifest.endSequence(), files.size(),
                    manifest.bytes(), storeDir.toAbsolutePath(), target.toAbsolutePath());
            return manifest;
        } catch (IOException e) {
            throw new StoreException("backup of " + storeDir + " to " + target + " failed: " + e, e);
        } finally {
            closeAll(sources);
        }
    }

    /**
     * Checks a backup: the manifest is there and of a known format, the segment files are
     * exactly those it lists with its lengths and SHA-256, and every record is whole, its CRC
     * matches and sequences run on without a gap.
     *
     * @throws StoreException naming the first problem found
     */
    public static BackupManifest verify(Path backupDir) {
        BackupManifest manifest = readManifest(backupDir);
        Path segments = StoreFiles.segmentsDir(backupDir);
        try {
            TreeMap<Long, Path> present = listSegments(segments);
            List<String> names = new ArrayList<>();
            for (BackupManifest.SegmentFile f : manifest.segments()) {
                names.add(f.file());
            }
            for (Path p : present.values()) {
                if (!names.contains(p.getFileName().toString())) {
                    throw new StoreException("backup " + backupDir + ": " + p.getFileName()
                            + " is not listed in the manifest");
                }
            }
            for (BackupManifest.SegmentFile f : manifest.segments()) {
                Path p = segments.resolve(f.file());
                long base = StoreFiles.parseSegmentFileName(f.file());
                if (base < 0 || base != f.baseSequence()) {
                    throw new StoreException("backup " + backupDir + ": manifest entry " + f.file()
                            + " is not a segment of base " + f.baseSequence());
                }
                if (!Files.isRegularFile(p)) {
                    throw new StoreException("backup " + backupDir + ": segment " + f.file() + " is missing");
                }
                long size = Files.size(p);
                if (size != f.bytes()) {
                    throw new StoreException("backup " + backupDir + ": segment " + f.file() + " is " + size
                            + " bytes, the manifest says " + f.bytes() + " (truncated or appended to)");
                }
                String hash = sha256(p);
                if (!hash.equals(f.sha256())) {
                    throw new StoreException("backup " + backupDir + ": segment " + f.file()
                            + " does not match its SHA-256 in the manifest (corrupted)");
                }
                Scan scan = scan(p, f.baseSequence());
                if (scan.problem != null) {
                    throw new StoreException("backup " + backupDir + ": segment " + f.file() + ": " + scan.problem
                            + " at offset " + scan.validEnd);
                }
                if (scan.endSequence != f.endSequence() || scan.records != f.records()) {
                    throw new StoreException("backup " + backupDir + ": segment " + f.file() + " holds sequences "
                            + f.baseSequence() + " to " + scan.endSequence + " in " + scan.records
                            + " records, the manifest says " + f.endSequence() + " in " + f.records());
                }
            }
            checkContiguous(manifest.segments());
            long first = manifest.segments().isEmpty() ? 0 : manifest.segments().get(0).baseSequence();
            long end = manifest.segments().isEmpty() ? 0
                    : manifest.segments().get(manifest.segments().size() - 1).endSequence();
            if (first != manifest.firstSequence() || end != manifest.endSequence()
                    || manifest.entries() != end - first) {
                throw new StoreException("backup " + backupDir + ": the manifest's sequence range "
                        + manifest.firstSequence() + ".." + manifest.endSequence() + " (" + manifest.entries()
                        + " entries) does not match its segments (" + first + ".." + end + ")");
            }
            return manifest;
        } catch (IOException e) {
            throw new StoreException("cannot read backup " + backupDir + ": " + e, e);
        }
    }

    /**
     * Verifies the backup in {@code backupDir} and restores it as the store in {@code storeDir}
     * (an {@link EmbeddedStoreConfig#dataDir}), which must not exist or be empty. A server
     * opened on it afterwards continues at the backup's end sequence.
     *
     * @throws StoreException if the backup does not verify, the target is not empty or in use,
     *                        or I/O fails (nothing is left in the target then)
     */
    public static BackupManifest restore(Path backupDir, Path storeDir) {
        BackupManifest manifest = verify(backupDir);
        requireEmptyOrAbsent(storeDir, "restore target");
        boolean created = !Files.exists(storeDir);
        Path staging = storeDir.resolve(RESTORING_DIR);
        try {
            Files.createDirectories(storeDir);
        } catch (IOException e) {
            throw new StoreException("cannot create " + storeDir + ": " + e, e);
        }
        boolean done = false;
        boolean locked = false;
        try (DirectoryLock lock = DirectoryLock.acquire(storeDir)) {
            locked = true;
            Files.createDirectory(staging);
            Path from = StoreFiles.segmentsDir(backupDir);
            for (BackupManifest.SegmentFile f : manifest.segments()) {
                Path copy = staging.resolve(f.file());
                try (FileChannel in = FileChannel.open(from.resolve(f.file()), StandardOpenOption.READ)) {
                    long copied = copy(in, f.bytes(), copy);
                    if (copied != f.bytes()) {
                        throw new StoreException("backup segment " + f.file() + " shrank while it was restored");
                    }
                }
                if (!sha256(copy).equals(f.sha256())) {
                    throw new StoreException("restored copy of " + f.file() + " does not match its SHA-256; "
                            + "the target disk may be failing");
                }
            }
            StoreFiles.forceDirectory(staging);
            Files.move(staging, StoreFiles.segmentsDir(storeDir), StandardCopyOption.ATOMIC_MOVE);
            StoreFiles.forceDirectory(storeDir);
            done = true;
            LOG.info("Restored {} entries (sequences {} to {}) in {} segments from {} to {}", manifest.entries(),
                    manifest.firstSequence(), manifest.endSequence(), manifest.segments().size(),
                    backupDir.toAbsolutePath(), storeDir.toAbsolutePath());
            return manifest;
        } catch (IOException e) {
            throw new StoreException("restore of " + backupDir + " into " + storeDir + " failed: " + e, e);
        } finally {
            if (!done && locked) {
                deleteQuietly(staging);
                deleteQuietly(StoreFiles.lockFile(storeDir));
                if (created) {
                    deleteQuietly(storeDir);
                }
            }
        }
    }

    /** Reads and checks the format of {@code manifest.json} in a backup directory. */
    public static BackupManifest readManifest(Path backupDir) {
        Path file = backupDir.resolve(BackupManifest.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new StoreException(backupDir.toAbsolutePath() + " is not a complete backup: it has no "
                    + BackupManifest.FILE_NAME + " (the backup did not finish, or this is not a backup directory)");
        }
        BackupManifest m;
        try {
            m = JSON.readValue(file.toFile(), BackupManifest.class);
        } catch (IOException e) {
            throw new StoreException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (!BackupManifest.FORMAT.equals(m.format()) || m.version() != BackupManifest.VERSION) {
            throw new StoreException(file + " is not a logwire backup manifest of version " + BackupManifest.VERSION
                    + " (format " + m.format() + ", version " + m.version() + ")");
        }
        if (m.segments() == null) {
            throw new StoreException(file + " lists no segments");
        }
        return m;
    }

    // ------------------------------------------------------------------ helpers

    private static final class Source {
        final long base;
        final Path path;
        final FileChannel channel;
        long length;

        Source(long base, Path path, FileChannel channel) {
            this.base = base;
            this.path = path;
            this.channel = channel;
        }
    }

    private static BackupManifest manifest(String createdAt, String completedAt, String source,
                                           List<BackupManifest.SegmentFile> files, long trimmed) {
        long first = files.isEmpty() ? 0 : files.get(0).baseSequence();
        long end = files.isEmpty() ? 0 : files.get(files.size() - 1).endSequence();
        long bytes = 0;
        for (BackupManifest.SegmentFile f : files) {
            bytes += f.bytes();
        }
        return new BackupManifest(BackupManifest.FORMAT, BackupManifest.VERSION, createdAt, completedAt, source,
                first, end, end - first, bytes, trimmed, files);
    }

    private static void writeManifest(Path target, BackupManifest manifest) throws IOException {
        Path tmp = target.resolve(BackupManifest.FILE_NAME + ".tmp");
        byte[] json = JSON.writeValueAsBytes(manifest);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(json);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, target.resolve(BackupManifest.FILE_NAME), StandardCopyOption.ATOMIC_MOVE);
        StoreFiles.forceDirectory(target);
    }

    private static void checkContiguous(List<BackupManifest.SegmentFile> files) {
        for (int i = 1; i < files.size(); i++) {
            if (files.get(i).baseSequence() != files.get(i - 1).endSequence()) {
                throw new StoreException("segments " + files.get(i - 1).file() + " and " + files.get(i).file()
                        + " are not contiguous: the first ends at " + files.get(i - 1).endSequence()
                        + ", the next starts at " + files.get(i).baseSequence());
            }
        }
    }

    private static void requireEmptyOrAbsent(Path dir, String what) {
        if (!Files.exists(dir)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new StoreException(what + " " + dir.toAbsolutePath() + " exists and is not a directory");
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isPresent()) {
                throw new StoreException(what + " " + dir.toAbsolutePath() + " is not empty; refusing to write "
                        + "into it (choose a new directory)");
            }
        } catch (IOException e) {
            throw new StoreException("cannot read " + dir + ": " + e, e);
        }
    }

    private static TreeMap<Long, Path> listSegments(Path dir) throws IOException {
        TreeMap<Long, Path> files = new TreeMap<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                long base = StoreFiles.parseSegmentFileName(p.getFileName().toString());
                if (base >= 0) {
                    files.put(base, p);
                }
            }
        }
        return files;
    }

    /** The offset after the last byte of {@code file} at or after {@code from} that is not zero ({@code from} if none). */
    private static long nonZeroEnd(Path file, long from) throws IOException {
        long end = from;
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long position = from;
            int n;
            while ((n = ch.read(buf.clear(), position)) > 0) {
                for (int i = n - 1; i >= 0; i--) {
                    if (buf.get(i) != 0) {
                        end = position + i + 1;
                        break;
                    }
                }
                position += n;
            }
        }
        return end;
    }

    /** Copies up to {@code length} bytes (fewer if the file is shorter now) into a new file, forced. */
    private static long copy(FileChannel in, long length, Path to) throws IOException {
        long position = 0;
        try (FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (position < length) {
                long n = in.transferTo(position, length - position, out);
                if (n <= 0) {
                    if (position >= in.size()) {
                        break; // shorter than when measured (a failed write rolled back)
                    }
                    continue;
                }
                position += n;
            }
            out.force(true);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(to + " already exists", e);
        }
        return position;
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buf) >= 0) {
                buf.flip();
                sha.update(buf);
                buf.clear();
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** What walking a segment file found; {@code problem} null if every byte is a valid record. */
    private record Scan(long validEnd, long records, long endSequence, String problem) {
    }

    /**
     * Walks the records of a segment file with the checks {@link SegmentRecovery} makes:
     * length within the file, CRC32C, sequences continuing from {@code base}, count at least 1,
     * entries well-formed and filling the record exactly.
     */
    private static Scan scan(Path file, long base) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                return new Scan(0, 0, base, "a file of " + size + " bytes, more than a segment ever holds");
            }
            if (size == 0) {
                return new Scan(0, 0, base, null);
            }
            MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            try {
                return scan(mapped, (int) size, base);
            } finally {
                Unmapper.unmap(mapped);
            }
        }
    }

    private static Scan scan(MappedByteBuffer mapped, int size, long base) {
        ByteBuf buf = Unpooled.wrappedBuffer(mapped.duplicate());
        CRC32C crc = new CRC32C();
        long sequence = base;
        long records = 0;
        int p = 0;
        while (p < size) {
            int remaining = size - p;
            if (remaining < RecordFormat.HEADER_SIZE) {
                return new Scan(p, records, sequence, "a torn record header (" + remaining + " bytes)");
            }
            long length = buf.getUnsignedInt(p + RecordFormat.LENGTH_OFFSET);
            if (length < RecordFormat.LENGTH_OVERHEAD || length > remaining - 4L) {
                return new Scan(p, records, sequence, "a torn or corrupt record (length " + length + ", "
                        + (remaining - 4) + " bytes left in the file)");
            }
            int recordSize = (int) length + 4;
            crc.reset();
            crc.update(mapped.slice(p + RecordFormat.CRC_START, recordSize - RecordFormat.CRC_START));
            if ((int) crc.getValue() != buf.getInt(p + RecordFormat.CRC_OFFSET)) {
                return new Scan(p, records, sequence, "a CRC mismatch");
            }
            long first = buf.getLong(p + RecordFormat.FIRST_SEQUENCE_OFFSET);
            if (first != sequence) {
                return new Scan(p, records, sequence, "a record of sequence " + first + " where " + sequence
                        + " was expected");
            }
            int countField = buf.getInt(p + RecordFormat.COUNT_OFFSET);
            long count = RecordFormat.count(countField);
            int trailer = RecordFormat.trailerSize(countField);
            if (count < 1 || recordSize - RecordFormat.HEADER_SIZE < trailer) {
                return new Scan(p, records, sequence, "a record of no entries");
            }
            try {
                LogEntryCodec.validateBatch(buf, p + RecordFormat.HEADER_SIZE,
                        recordSize - RecordFormat.HEADER_SIZE - trailer, count);
            } catch (MalformedEntryException | IndexOutOfBoundsException e) {
                return new Scan(p, records, sequence, "a record whose entries do not parse (" + e.getMessage() + ")");
            }
            sequence += count;
            records++;
            p += recordSize;
        }
        return new Scan(p, records, sequence, null);
    }

    private static void closeAll(List<Source> sources) {
        for (Source s : sources) {
            try {
                s.channel.close();
            } catch (IOException ignored) {
                // read-only
            }
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            if (Files.isDirectory(path)) {
                try (Stream<Path> s = Files.list(path)) {
                    for (Path p : (Iterable<Path>) s::iterator) {
                        Files.deleteIfExists(p);
                    }
                }
            }
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("Could not remove {} after a failed restore: {}", path, e.toString());
        }
    }
}
