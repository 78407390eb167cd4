/** Benchmarks of the backup repository, run by hand ({@code RepositoryBench}); they print figures and never fail on a timing. */
package dev.virga.backup.bench;
