package dev.moratorium.policy;

import java.util.Optional;

/**
 * How many exemptions one policy keeps, how much text they may carry, and how much the ones in
 * force may (CONTRACT.md §5, "Limits are rejections": a grant past them is rejected
 * {@code invalid-field}).
 *
 * <p>A revoked exemption is kept, not removed: it still decides access at the instants it was held.
 * So without a cap, a producer that grants and revokes all day grows a policy's list for ever, and
 * every later write of the policy reads and compares all of it, as does the access index on every
 * decision that names an organization.
 *
 * <p>The exemptions in force travel in every notification and {@code moratorium-state} record of
 * the policy. Their organizations (200 characters at most) and purposes (4,000) are capped one by
 * one, but not together: some 170 grants with the longest purposes in a three-byte script would
 * make the state record larger than the 2 MiB the output topics take, the relay would set it
 * aside, and the compacted topic would stop following the policy. {@value #MAX_ACTIVE_TEXT}
 * UTF-16 units is at most 768 KiB of UTF-8, or 1.5 MiB if every character were escaped, within the
 * limit.
 */
public final class ExemptionLimits {

    /** Exemptions one policy keeps, granted and revoked together. */
    public static final int MAX_EXEMPTIONS = 1_000;
    /**
     * UTF-16 units of organization and purpose, summed over the exemptions in force: what a replica's
     * heap holds and, at three bytes of UTF-8 a unit at most, what bounds the state record (an emoji
     * is one character of a name's limit but two units here, and four bytes of UTF-8).
     */
    public static final int MAX_ACTIVE_TEXT = 256 * 1024;
    /**
     * UTF-16 units of organization and purpose, summed over every exemption kept, revoked ones too.
     * Every write of a policy loads it whole: without this, 1,000 exemptions of the longest names
     * and purposes were 4.2 million characters (8.4 MB of heap in a script outside Latin-1) in one
     * policy, made by grants and revocations whose state records stay small. Twice what may be in
     * force: room for a policy whose exemptions turn over; at most 1 MB of heap a policy. That is
     * still too much to hold for every policy: the access index holds a policy's exemptions only
     * within its own budget, and a transaction counts those it loads (PolicyIndex, UnitOfWork).
     */
    public static final int MAX_KEPT_TEXT = 2 * MAX_ACTIVE_TEXT;

    private ExemptionLimits() {
    }

    /**
     * Why {@code after} could not hold its exemptions, naming the limit; empty if it can. Only a
     * change that grows past a limit is refused: a policy stored past one before the limit existed
     * can still change a purpose in place, or have an exemption revoked.
     */
    static Optional<String> problem(Policy before, Policy after, String field) {
        int count = after.exemptions().size();
        if (count > MAX_EXEMPTIONS && count > (before == null ? 0 : before.exemptions().size())) {
            return Optional.of(field + " would make policy \"" + after.policyId() + "\" keep " + count
                    + " exemptions, granted and revoked; a policy keeps at most " + MAX_EXEMPTIONS
                    + " (revoked ones still decide access at the instants they were held): announce a new policy"
                    + " to grant more");
        }
        long kept = keptText(after);
        if (kept > MAX_KEPT_TEXT && kept > (before == null ? 0 : keptText(before))) {
            return Optional.of(field + " would make the exemptions of policy \"" + after.policyId() + "\", granted and"
                    + " revoked, carry " + kept + " UTF-16 units of organization and purpose; a policy keeps at most "
                    + MAX_KEPT_TEXT + " (revoked ones still decide access at the instants they were held): announce a"
                    + " new policy to grant more");
        }
        long text = activeText(after);
        if (text > MAX_ACTIVE_TEXT && text > (before == null ? 0 : activeText(before))) {
            return Optional.of(field + " would make the exemptions in force on policy \"" + after.policyId() + "\" carry "
                    + text + " UTF-16 units of organization and purpose; at most " + MAX_ACTIVE_TEXT
                    + " fit the policy's state record");
        }
        return Optional.empty();
    }

    static long activeText(Policy p) {
        return text(p.activeExemptions());
    }

    static long keptText(Policy p) {
        return text(p.exemptions());
    }

    private static long text(Iterable<Exemption> exemptions) {
        long sum = 0;
        for (Exemption e : exemptions) {
            sum += e.organization().length() + (e.purpose() == null ? 0 : e.purpose().length());
        }
        return sum;
    }
}
