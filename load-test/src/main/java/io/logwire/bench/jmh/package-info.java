/** JMH micro-benchmarks of the codec: batch validation, decoding, encoding and filters (docs/benchmarks.md). */
package io.logwire.bench.jmh;
