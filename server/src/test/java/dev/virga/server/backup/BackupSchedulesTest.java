package dev.virga.server.backup;

import dev.virga.server.http.ApiError;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackupSchedulesTest {
    @Test
    void intervalsReadAndPrintAsUsersWriteThem() {
        assertThat(BackupSchedules.parse("90s")).isEqualTo(90);
        assertThat(BackupSchedules.parse("30m")).isEqualTo(1800);
        assertThat(BackupSchedules.parse("1h")).isEqualTo(3600);
        assertThat(BackupSchedules.parse("2d")).isEqualTo(172800);
        assertThat(BackupSchedules.format(3600)).isEqualTo("1h");
        assertThat(BackupSchedules.format(5400)).isEqualTo("90m");
        assertThat(BackupSchedules.format(90)).isEqualTo("90s");
    }

    @Test
    void aBadOrTooShortIntervalIsA400NamingTheField() {
        assertThatThrownBy(() -> BackupSchedules.parse("hourly")).isInstanceOf(ApiError.BadInput.class)
                .hasMessageContaining("every").hasMessageContaining("'hourly' is not an interval");
        assertThatThrownBy(() -> BackupSchedules.parse("10s")).isInstanceOf(ApiError.BadInput.class)
                .hasMessageContaining("shorter than the minimum of 1m");
        assertThatThrownBy(() -> BackupSchedules.parse("0h")).isInstanceOf(ApiError.BadInput.class);
    }
}
