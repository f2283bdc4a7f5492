// Given/when/then specifications for any decider (after emmett's DeciderSpecification):
// spec(decider).given(facts).when(command).then(decision). The state is the fold of the given
// facts from the decider's initial state, as the system would have it after them. For most
// deciders the facts folded are the events decided; reconciliation folds every event of the
// system and decides mismatches, so the two types may differ.
import { expect } from 'vitest';

/** A decider as one value: decide a command against a state, fold an event into it, and where the fold starts. */
export type Decider<Command, Event, State, Fact = Event> = {
  decide(command: Command, state: State): readonly Event[];
  evolve(state: State, fact: Fact): State;
  initialState: State;
};

export function spec<Command, Event, State, Fact>(decider: Decider<Command, Event, State, Fact>) {
  return {
    given(events: readonly Fact[]) {
      return {
        when(command: Command) {
          const decide = () => decider.decide(command, events.reduce(decider.evolve, decider.initialState));
          return {
            /** Exactly these events. */
            then(expected: readonly Event[]): void {
              expect(decide()).toEqual(expected);
            },
            /** As many events as expected, each with at least the fields given. */
            thenMatches(expected: readonly Partial<Event>[]): void {
              expect(decide()).toMatchObject(expected);
            },
            /** No event: the command changes nothing. */
            thenNothing(): void {
              expect(decide()).toEqual([]);
            },
            /** A broken invariant (a command no caller may send): decide throws. */
            thenThrows(message?: string | RegExp): void {
              expect(decide).toThrow(message);
            },
          };
        },
      };
    },
  };
}
