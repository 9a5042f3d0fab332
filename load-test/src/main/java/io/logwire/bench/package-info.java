/** Load harnesses that drive a running logwire server and report throughput and latency. */
package io.logwire.bench;
