/** Coverage-guided fuzz targets (Jazzer) for the decoders, the entry codec and the filter parser. */
package io.logwire.protocol.fuzz;
