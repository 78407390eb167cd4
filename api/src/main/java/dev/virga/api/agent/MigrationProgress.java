package dev.virga.api.agent;

/**
 * A live migration as the source host sees it.
 *
 * @param phase               disk, memory, cut-over, completed, failed or cancelled
 * @param diskDone            bytes of the disk layer mirrored so far
 * @param diskTotal           bytes the mirror has to copy (grows while the guest writes)
 * @param memoryDone          bytes of memory sent so far (QEMU's {@code ram.transferred})
 * @param memoryTotal         guest memory size
 * @param memoryRemaining     bytes of memory still to send in this pass
 * @param dirtyBytesPerSecond how fast the guest dirties memory (QEMU's dirty-page rate × page size)
 * @param passes              memory passes so far (QEMU's {@code dirty-sync-count})
 * @param downtimeMillis      QEMU's measured downtime, once completed
 * @param totalMillis         from the start of the disk mirror to the end
 * @param error               why it failed, if it did
 */
public record MigrationProgress(String phase, long diskDone, long diskTotal, long memoryDone, long memoryTotal,
                                long memoryRemaining, long dirtyBytesPerSecond, long passes, long downtimeMillis,
                                long totalMillis, String error) {
    public static final String DISK = "disk";
    public static final String MEMORY = "memory";
    public static final String CUT_OVER = "cut-over";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";
    public static final String CANCELLED = "cancelled";

    public static MigrationProgress starting() {
        return new MigrationProgress(DISK, 0, 0, 0, 0, 0, 0, 0, 0, 0, "");
    }
}
