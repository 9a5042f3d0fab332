package io.logwire.server.store.embedded;

import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.server.store.StoreException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Opens the segments of a store directory and rebuilds what the store keeps in memory.
 *
 * <p>What it verifies: <em>every</em> record of <em>every</em> segment, not only the last
 * segment's. The per-segment field ranges and the sparse index have to be rebuilt by walking
 * every entry anyway (they are not persisted), so checking the CRCs on the way costs little
 * beyond reading the files once. A record is valid when its length fits in the file, its
 * CRC32C matches, its {@code firstSequence} continues the previous record (the first one
 * equals the base in the file name), its count is at least 1 and its entries fill it exactly.
 * Segments must follow each other without a gap.
 *
 * <p>Zeros from the end of the last valid record to the end of the file are unused space left
 * by {@link SegmentPreallocator}: cut off (INFO), no damage. Otherwise, at the first invalid
 * record the file is truncated there (WARN with the bytes dropped),
 * and every later segment is deleted (WARN each): the store keeps the longest valid prefix,
 * so sequences stay contiguous. A file over 2 GiB or an unreadable file is not truncated: the
 * open fails instead, since that is no torn write but something to look at.
 *
 * <p>Runs once, single-threaded, before the store is shared.
 */
final class SegmentRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentRecovery.class);

    private SegmentRecovery() {
    }

    /** What recovery found; {@code segments} is in order, the last one is active (not sealed). */
    record Result(List<Segment> segments, long bytesDropped, int segmentsDeleted) {
    }

    static Result recover(Path segmentsDir, int indexIntervalBytes, ChannelFactory channels) throws IOException {
        return recover(segmentsDir, indexIntervalBytes, channels, null, 0);
    }

    /**
     * As above, and puts the batch trailers of valid records appended at or after
     * {@code dedupSince} (epoch millis) into {@code dedup} (if not null), oldest first.
     */
    static Result recover(Path segmentsDir, int indexIntervalBytes, ChannelFactory channels, DedupIndex dedup,
                          long dedupSince) throws IOException {
        TreeMap<Long, Path> files = listSegments(segmentsDir);
        List<Segment> segments = new ArrayList<>();
        List<MappedByteBuffer> mappings = new ArrayList<>();
        long bytesDropped = 0;
        int deleted = 0;
        boolean damaged = false;
        try {
            long expectedBase = -1;
            for (var e : files.entrySet()) {
                long base = e.getKey();
                Path path = e.getValue();
                if (damaged) {
                    bytesDropped += deleteSegment(path, "it follows a damaged segment");
                    deleted++;
                    continue;
                }
                if (expectedBase >= 0 && base != expectedBase) {
                    bytesDropped += deleteSegment(path, "it starts at sequence " + base
                            + " but the segment before it ends at " + expectedBase);
                    deleted++;
                    damaged = true;
                    continue;
                }
                FileChannel channel = channels.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                Segment segment = new Segment(base, path, channel, indexIntervalBytes);
                segments.add(segment);
                long size = channel.size();
                if (size > Integer.MAX_VALUE) {
                    throw new StoreException("segment " + path + " is " + size
                            + " bytes, more than this store ever writes; refusing to open it");
                }
                MappedByteBuffer mapped = size == 0 ? null : channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
                Scan scan = scan(segment, mapped, (int) size, dedup, dedupSince);
                segment.publish();
                if (scan.validEnd < size && SegmentPreallocator.isZero(mapped, scan.validEnd, (int) size)) {
                    // Unused preallocated space (the active segment's, or a sealed one's whose cut a crash lost).
                    Unmapper.unmap(mapped);
                    mapped = null;
                    LOG.info("Segment {}: {} bytes of unused preallocated space after its last record; cut off",
                            path.getFileName(), size - scan.validEnd);
                    channel.truncate(scan.validEnd);
                    channel.force(true);
                    if (scan.validEnd > 0) {
                        mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, scan.validEnd);
                    }
                } else if (scan.validEnd < size) {
                    Unmapper.unmap(mapped);
                    mapped = null;
                    long dropped = size - scan.validEnd;
                    LOG.warn("Segment {}: {} at offset {}; truncating it there, dropping {} bytes "
                                    + "(entries from sequence {} on)", path, scan.problem, scan.validEnd, dropped,
                            segment.writerEndSequence());
                    channel.truncate(scan.validEnd);
                    channel.force(true);
                    bytesDropped += dropped;
                    damaged = true;
                }
                mappings.add(mapped);
                expectedBase = segment.writerEndSequence();
            }
            if (deleted > 0) {
                StoreFiles.forceDirectory(segmentsDir);
            }
            // All but the last are sealed and keep their mapping; the active one's becomes its first block.
            for (int i = 0; i < segments.size(); i++) {
                Segment s = segments.get(i);
                MappedByteBuffer m = mappings.get(i);
                if (i < segments.size() - 1) {
                    s.seal();
                    if (m != null) {
                        s.adoptMapping(m);
                    }
                } else {
                    if (m != null) {
                        s.adoptBlock(m);
                    }
                    s.writerChannel().position(s.writerEnd());
                }
            }
            return new Result(segments, bytesDropped, deleted);
        } catch (IOException | RuntimeException e) {
            for (MappedByteBuffer m : mappings) {
                Unmapper.unmap(m);
            }
            for (Segment s : segments) {
                s.release();
            }
            throw e;
        }
    }

    private static TreeMap<Long, Path> listSegments(Path segmentsDir) throws IOException {
        TreeMap<Long, Path> files = new TreeMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(segmentsDir)) {
            for (Path p : dir) {
                String name = p.getFileName().toString();
                if (StoreFiles.isColumnsFileName(name)) {
                    continue; // derived data, checked when the store opens it
                }
                if (SegmentPreallocator.isPreallocatedFileName(name)) {
                    continue; // zeros for the next segment, checked by SegmentPreallocator
                }
                long base = StoreFiles.parseSegmentFileName(name);
                if (base < 0 || !Files.isRegularFile(p)) {
                    LOG.warn("Ignoring {}: not a segment file", p);
                    continue;
                }
                files.put(base, p);
            }
        }
        return files;
    }

    private static long deleteSegment(Path path, String why) throws IOException {
        long size = Files.size(path);
        LOG.warn("Deleting segment {} ({} bytes): {}", path, size, why);
        Files.delete(path);
        return size;
    }

    private record Scan(int validEnd, String problem) {
    }

    /** Walks the records of one file, accounting each valid one to {@code segment}. */
    private static Scan scan(Segment segment, MappedByteBuffer mapped, int size, DedupIndex dedup, long dedupSince) {
        if (size == 0) {
            return new Scan(0, null);
        }
        ByteBuf buf = Unpooled.wrappedBuffer(mapped.duplicate());
        CRC32C crc = new CRC32C();
        long expectedSequence = segment.baseSequence();
        int p = 0;
        while (p < size) {
            int remaining = size - p;
            if (remaining < RecordFormat.HEADER_SIZE) {
                return new Scan(p, "a torn record header (" + remaining + " bytes)");
            }
            long length = buf.getUnsignedInt(p + RecordFormat.LENGTH_OFFSET);
            if (length < RecordFormat.LENGTH_OVERHEAD || length > remaining - 4L
                    || length - RecordFormat.LENGTH_OVERHEAD > RecordFormat.MAX_ENTRIES_BYTES + RecordFormat.TRAILER_SIZE) {
                return new Scan(p, "a torn or corrupt record (length " + length + ", " + (remaining - 4)
                        + " bytes left in the file)");
            }
            int recordSize = (int) length + 4;
            crc.reset();
            crc.update(mapped.slice(p + RecordFormat.CRC_START, recordSize - RecordFormat.CRC_START));
            int stored = buf.getInt(p + RecordFormat.CRC_OFFSET);
            if ((int) crc.getValue() != stored) {
                return new Scan(p, "a CRC mismatch");
            }
            long firstSequence = buf.getLong(p + RecordFormat.FIRST_SEQUENCE_OFFSET);
            if (firstSequence != expectedSequence) {
                return new Scan(p, "a record of sequence " + firstSequence + " where " + expectedSequence
                        + " was expected");
            }
            long appendTime = buf.getLong(p + RecordFormat.APPEND_TIME_OFFSET);
            int countField = buf.getInt(p + RecordFormat.COUNT_OFFSET);
            long count = RecordFormat.count(countField);
            int trailer = RecordFormat.trailerSize(countField);
            long entriesBytes = length - RecordFormat.LENGTH_OVERHEAD - trailer;
            if (count < 1 || entriesBytes < 0 || count > entriesBytes / LogEntryCodec.OVERHEAD) {
                return new Scan(p, "a record of " + count + " entries");
            }
            int entriesEnd = p + recordSize - trailer;
            try {
                segment.writerRanges().addEntries(buf, p + RecordFormat.HEADER_SIZE, entriesEnd, (int) count);
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                return new Scan(p, "a record whose entries do not parse (" + e.getMessage() + ")");
            }
            if (trailer > 0 && dedup != null && appendTime >= dedupSince) {
                dedup.put(new io.logwire.protocol.message.BatchId(buf.getLong(entriesEnd), buf.getLong(entriesEnd + 8)),
                        new DedupIndex.Remembered(buf.getLong(entriesEnd + 16), buf.getLong(entriesEnd + 24),
                                firstSequence, (int) count, appendTime), appendTime);
            }
            segment.recoveryRecordAppended(recordSize, (int) count, appendTime);
            expectedSequence += count;
            p += recordSize;
        }
        return new Scan(p, null);
    }
}
