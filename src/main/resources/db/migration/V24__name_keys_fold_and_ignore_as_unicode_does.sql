-- Names.key now folds and leaves out what Unicode's identifier matching does, which it did not
-- before: the capital sharp s (U+1E9E) folds to "ss", as the small one always did; the final
-- sigma ς folds to σ; and every Default_Ignorable_Code_Point is left out, as format characters
-- already were (variation selectors, the combining grapheme joiner, Hangul fillers, tags, and
-- format characters outside the BMP, which the key had looked at a UTF-16 unit at a time).
-- Before, "STRAẞE" was keyed "straße" while "Straße" and "STRASSE" were "strasse"; lowering wrote
-- ς or σ by the letters around a sigma, which trimming and dropped characters change, so a key
-- was not always its key's key; and "Amazon" with an invisible variation selector was another
-- vendor than "Amazon", so a gateway asking for the one was not told of a policy on the other.
-- The stored keys are made again the new way: ß (chr(223)) only where a capital made it, every
-- ς (chr(962)) to σ (chr(963)), the ignorable characters dropped, then NFKC and one space where
-- dropping left two, as the key does. A key that would no longer fit its column (a name of more
-- than 100 capital sharp s) is left as it was: the in-memory index keys names when it loads them,
-- and only the list filter of /moratoria misses that policy.
CREATE FUNCTION v24_folded(k TEXT) RETURNS TEXT AS $$
    SELECT btrim(regexp_replace(normalize(regexp_replace(
        replace(replace(k, chr(223), 'ss'), chr(962), chr(963)),
        '[\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u2060-\u206F\u3164\uFE00-\uFE0F\uFFA0\uFFF0-\uFFF8\U000110BD\U000110CD\U00013430-\U00013438\U0001BCA0-\U0001BCA3\U0001D173-\U0001D17A\U000E0000-\U000E0FFF]',
        '', 'g'), NFKC), ' {2,}', ' ', 'g'), ' ')
$$ LANGUAGE sql IMMUTABLE;

UPDATE policy SET vendor_key = v24_folded(vendor_key)
    WHERE v24_folded(vendor_key) <> vendor_key AND length(v24_folded(vendor_key)) <= 200;
UPDATE policy SET product_key = v24_folded(product_key)
    WHERE v24_folded(product_key) <> product_key AND length(v24_folded(product_key)) <= 200;
UPDATE policy SET segment_keys = ARRAY(
        SELECT v24_folded(k) FROM unnest(segment_keys) WITH ORDINALITY AS s(k, n) ORDER BY n)
    WHERE EXISTS (SELECT 1 FROM unnest(segment_keys) AS s(k) WHERE v24_folded(k) <> k);
UPDATE exemption SET organization_key = v24_folded(organization_key)
    WHERE v24_folded(organization_key) <> organization_key AND length(v24_folded(organization_key)) <= 200;

DROP FUNCTION v24_folded(TEXT);
