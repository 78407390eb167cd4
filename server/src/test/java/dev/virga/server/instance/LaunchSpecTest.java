package dev.virga.server.instance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.virga.api.LaunchRequest;
import dev.virga.api.Sizes;
import dev.virga.server.http.ApiError;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LaunchSpecTest {

    private static LaunchRequest request(Integer cpus, String memory, String disk) {
        return new LaunchRequest("vm1", "tiny", cpus, memory, disk);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refused(LaunchRequest r, String field) {
        return assertThatThrownBy(() -> LaunchSpec.of(r))
                .isInstanceOfSatisfying(ApiError.BadInput.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.details()).containsEntry("field", field);
                })
                .hasMessageStartingWith(field + ": ");
    }

    @Test
    void onlyNameAndImageGiveOneCpuTheDefaultMemoryAndTheImagesDisk() {
        var spec = LaunchSpec.of(new LaunchRequest("vm1", "tiny", null, null, null));

        assertThat(spec).isEqualTo(new LaunchSpec("vm1", "tiny", 1, 256 * Sizes.MIB, 0));
    }

    @Test
    void blankMeansTheDefaultButZeroIsRefusedNotReplaced() {
        assertThat(LaunchSpec.of(request(null, " ", ""))).isEqualTo(new LaunchSpec("vm1", "tiny", 1, 256 * Sizes.MIB, 0));
        refused(request(0, null, null), "cpus").hasMessageContaining("0 is out of range");
        refused(request(1, "0", null), "memory").hasMessageContaining("out of range");
        refused(request(1, null, "0"), "disk").hasMessageContaining("0 bytes is no disk size");
    }

    @ParameterizedTest
    @CsvSource({
            "256M, 268435456",
            "1G, 1073741824",
            "512MiB, 536870912",
            "2GB, 2147483648",
            "1g, 1073741824",
            "268435456, 268435456",
            "' 384 M ', 402653184",
            "1T, 1099511627776"})
    void memoryIsReadAsPeopleWriteIt(String text, long bytes) {
        assertThat(LaunchSpec.of(request(2, text, null)).memoryBytes()).isEqualTo(bytes);
    }

    @Test
    void diskIsReadAsASizeToo() {
        assertThat(LaunchSpec.of(request(1, "256M", "10G")).diskBytes()).isEqualTo(10 * Sizes.GIB);
        assertThat(LaunchSpec.of(request(1, "256M", "64TiB")).diskBytes()).isEqualTo(64L * 1024 * Sizes.GIB);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "1.5Q", "-1G", "256X", "G", "12 34"})
    void garbageMemoryIsABadInputThatQuotesTheText(String text) {
        refused(request(1, text, null), "memory").hasMessageContaining("'" + text + "' is not a size");
    }

    @ParameterizedTest
    @ValueSource(strings = {"99999999999999999999G", "99999999999999999999", "9999999999T", "9223372036854775807K"})
    void overflowingSizesAreTooLargeNotNegativeOrWrapped(String text) {
        refused(request(1, text, null), "memory").hasMessageContaining("'" + text + "' is too large");
        refused(request(1, "256M", text), "disk").hasMessageContaining("'" + text + "' is too large");
    }

    @Test
    void memoryOutsideSixtyFourMibToFourTibIsRefusedWithTheRange() {
        refused(request(1, "32M", null), "memory").hasMessageContaining("32MiB is out of range (64MiB..4TiB)");
        refused(request(1, "1048576", null), "memory").hasMessageContaining("1MiB is out of range");
        refused(request(1, "5T", null), "memory").hasMessageContaining("5TiB is out of range");
        assertThat(LaunchSpec.of(request(1, "64M", null)).memoryBytes()).isEqualTo(64 * Sizes.MIB);
        assertThat(LaunchSpec.of(request(1, "4T", null)).memoryBytes()).isEqualTo(4096 * Sizes.GIB);
    }

    @Test
    void diskOverSixtyFourTibIsRefused() {
        refused(request(1, null, "65T"), "disk").hasMessageContaining("65TiB is larger than 64TiB");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 64})
    void cpusFromOneToSixtyFourAreAccepted(int cpus) {
        assertThat(LaunchSpec.of(request(cpus, null, null)).cpus()).isEqualTo(cpus);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 65, 1000, Integer.MIN_VALUE})
    void cpusOutOfRangeAreRefusedWithTheRange(int cpus) {
        refused(request(cpus, null, null), "cpus").hasMessage("cpus: " + cpus + " is out of range (1..64)");
    }

    @Test
    void theNameIsCheckedFirstAndByTheNameRule() {
        refused(new LaunchRequest("../x", "", -5, "lots", "lots"), "name").hasMessageContaining("'../x'");
        refused(new LaunchRequest(null, "tiny", null, null, null), "name").hasMessage("name: must not be empty");
        refused(new LaunchRequest("a".repeat(64), "tiny", null, null, null), "name");
    }

    @Test
    void aMissingImageIsNamed() {
        refused(new LaunchRequest("vm1", null, null, null, null), "image").hasMessage("image: must not be empty");
        refused(new LaunchRequest("vm1", "  ", null, null, null), "image").hasMessage("image: must not be empty");
    }
}
