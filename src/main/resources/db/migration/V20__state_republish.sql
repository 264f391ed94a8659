-- The run that publishes every policy's current state to moratorium-state again (ops.StateRepublish),
-- kept here rather than in one replica's memory: started by an operator (POST /ops/state-republish)
-- or by the replica that found the topic made anew, it goes on at the last policy queued on whichever
-- replica holds it, and a replica that stops or freezes loses it to another when its lease runs out.
-- Its cursor moves in the transaction that queues a chunk, so a run taken over neither skips nor
-- repeats a chunk. One row at most; it stays FINISHED after the run, for GET /ops/state-republish.
CREATE TABLE state_republish (
    id            SMALLINT     PRIMARY KEY CHECK (id = 1),
    status        VARCHAR(16)  NOT NULL CHECK (status IN ('RUNNING', 'FINISHED')),
    reason        TEXT         NOT NULL, -- who or what asked for it
    started_after VARCHAR(128),          -- the after it was started with; NULL: from the first policy
    after_policy  VARCHAR(128) NOT NULL, -- the last policy queued; '' before the first
    queued        BIGINT       NOT NULL,
    generation    BIGINT       NOT NULL, -- one more at each start: a holder of an older one stops
    holder        VARCHAR(255),          -- the replica running it; NULL: any replica may take it
    held_until    TIMESTAMPTZ,
    started_at    TIMESTAMPTZ  NOT NULL,
    ended_at      TIMESTAMPTZ
);
