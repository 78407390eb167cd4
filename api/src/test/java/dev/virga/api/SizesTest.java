package dev.virga.api;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SizesTest {
    @ParameterizedTest
    @CsvSource({"256M, 268435456", "1G, 1073741824", "512MiB, 536870912", "2GB, 2147483648", "1048576, 1048576",
            "1.5G, 1610612736", "0.5k, 512", "4 TiB, 4398046511104", "100b, 100"})
    void parsesWhatPeopleWrite(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 1023, 1024, 1536, 268435456, 1610612736, 1073741824L * 100})
    void whatFormatPrintsParsesBack(long bytes) {
        assertThat(Sizes.parse(Sizes.format(bytes))).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "12 parsecs", "-1G", "1.G", "0.3b", "99999999999999999999G", ""})
    void refusesWhatIsNotASize(String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }
}
