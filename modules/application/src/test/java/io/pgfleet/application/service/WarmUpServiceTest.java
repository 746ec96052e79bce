package io.pgfleet.application.service;

import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.in.WarmUpUseCase;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** When the warm-up gives way to real work. */
class WarmUpServiceTest {

    private final LayerComposer composer = new LayerComposer(new LineParser());
    private final WarmUpService warmUp = new WarmUpService(new DocumentValidator(new LineParser()), composer);

    @Test
    void workBetweenTheStartOfCountingAndTheFirstRoundEndsTheWarmUpBeforeThatRound() {
        warmUp.countWorkFromNow();
        // A publish served before the warm-up's thread got to its first round.
        composer.session();

        WarmUpUseCase.Warmed warmed = warmUp.warmUp(20);

        assertEquals(WarmUpUseCase.Ending.WORK_ARRIVED, warmed.ending(), warmed.toString());
        assertEquals(0, warmed.rounds(), warmed.toString());
    }

    @Test
    void withoutTheStartOfCountingWorkSinceTheWarmUpWasMadeEndsIt() {
        composer.session();

        assertEquals(WarmUpUseCase.Ending.WORK_ARRIVED, warmUp.warmUp(20).ending());
    }
}
