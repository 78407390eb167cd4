package dev.virga.qemu.img;

import java.util.Optional;

/**
 * {@code qemu-img info} of one image file.
 *
 * @param virtualSize the disk size the guest sees, in bytes
 * @param actualSize bytes the file really occupies on the host
 * @param backingFile the backing file as qemu-img resolves it (absolute when the image stores a relative name)
 * @param dirty the image was not closed cleanly (qcow2 lazy refcounts)
 * @param corrupt qcow2 marked itself corrupt; QEMU will refuse to write to it
 * @param dataFile a qcow2 whose guest data lives in another file (the external data-file feature)
 */
public record ImageInfo(String format, long virtualSize, long actualSize, Optional<String> backingFile,
                        Optional<String> backingFormat, boolean dirty, boolean corrupt, Optional<String> dataFile) {
}
