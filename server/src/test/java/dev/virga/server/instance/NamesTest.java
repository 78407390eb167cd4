package dev.virga.server.instance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.virga.server.http.ApiError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "vm1", "web-01", "a-b-c", "x9"})
    void acceptsDnsLabels(String name) {
        assertThat(Names.check("name", name)).isEqualTo(name);
    }

    @Test
    void acceptsSixtyThreeCharactersButNotSixtyFour() {
        var longest = "a".repeat(63);
        assertThat(Names.check("name", longest)).isEqualTo(longest);

        assertThatThrownBy(() -> Names.check("name", "a".repeat(64)))
                .isInstanceOf(ApiError.BadInput.class)
                .hasMessageStartingWith("name: ")
                .hasMessageContaining("64 characters long; at most 63");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "a/b", "vm 1", " vm1", "VM1", "vmA", "vm1-", "1vm", "-vm", "vm_1", "vm.1", "é"})
    void refusesWhatIsNotALowercaseLabelAndQuotesTheValue(String name) {
        assertThatThrownBy(() -> Names.check("name", name))
                .isInstanceOfSatisfying(ApiError.BadInput.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.details()).containsEntry("field", "name");
                })
                .hasMessageStartingWith("name: '" + name + "' is not a valid name");
    }

    @Test
    void emptyOrMissingNameSaysItMustNotBeEmpty() {
        assertThatThrownBy(() -> Names.check("name", ""))
                .isInstanceOf(ApiError.BadInput.class).hasMessage("name: must not be empty");
        assertThatThrownBy(() -> Names.check("name", null))
                .isInstanceOf(ApiError.BadInput.class).hasMessage("name: must not be empty");
    }

    @Test
    void theErrorNamesTheFieldTheCallerChecks() {
        assertThatThrownBy(() -> Names.check("image", "Tiny"))
                .isInstanceOfSatisfying(ApiError.BadInput.class,
                        e -> assertThat(e.details()).containsEntry("field", "image"))
                .hasMessageStartingWith("image: 'Tiny'");
    }
}
