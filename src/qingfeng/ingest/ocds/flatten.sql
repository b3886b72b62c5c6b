-- The compiled releases (table ocds_rel: n = position, j = JSON) flattened into one table per
-- procurement dataset, columns named as the catalogue's fields, every value as text.
-- OCDS dates keep the local time as written (a trading centre publishes +08:00).

CREATE OR REPLACE TEMP TABLE ocds_party AS
SELECT r.j->>'$.ocid' AS ocid, CAST(e.key AS INTEGER) AS k, e.value AS p
FROM ocds_rel AS r, json_each(r.j, '$.parties') AS e;

-- One row per (ocid, party id): a reference resolves to the organisation's identifier, and a
-- tenderer's address and contact point travel with its bid (as a bid-opening record gives them).
CREATE OR REPLACE TEMP TABLE ocds_ref AS
SELECT ocid, p->>'$.id' AS party_id,
       first(COALESCE(p->>'$.identifier.id', p->>'$.id') ORDER BY k) AS org,
       first(p->>'$.name' ORDER BY k) AS name,
       first(NULLIF(concat_ws('', p->>'$.address.region', p->>'$.address.locality',
                              p->>'$.address.streetAddress'), '') ORDER BY k) AS address,
       first(p->>'$.contactPoint.telephone' ORDER BY k) AS phone,
       first(p->>'$.contactPoint.name' ORDER BY k) AS contact
FROM ocds_party GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE ocds_award AS
SELECT r.n, r.j->>'$.ocid' AS ocid, CAST(e.key AS INTEGER) AS k, e.value AS a
FROM ocds_rel AS r, json_each(r.j, '$.awards') AS e;

CREATE OR REPLACE TEMP TABLE ocds_award_supplier AS
SELECT a.n, a.ocid, a.k, a.a, CAST(s.key AS INTEGER) AS sk,
       COALESCE(ref.org, s.value->>'$.id') AS org,
       COALESCE(s.value->>'$.name', ref.name) AS name
FROM ocds_award AS a
LEFT JOIN json_each(a.a, '$.suppliers') AS s ON TRUE
LEFT JOIN ocds_ref AS ref ON ref.ocid = a.ocid AND ref.party_id = s.value->>'$.id';

-- The tender's single winner: exactly one active award to exactly one supplier.
CREATE OR REPLACE TEMP TABLE ocds_winner AS
SELECT ocid, first(org) AS org, first(name) AS name, first(a->>'$.date') AS award_date,
       first(a->>'$.value.amount') AS amount
FROM ocds_award_supplier
WHERE a->>'$.status' = 'active'
GROUP BY ocid
HAVING COUNT(DISTINCT k) = 1 AND COUNT(*) = 1;

CREATE OR REPLACE TEMP TABLE ocds_tenders AS
SELECT r.n,
       r.j->>'$.ocid' AS tender_no,
       r.j->>'$.tender.title' AS project_name,
       COALESCE(buyer.org, COALESCE(r.j->'$.buyer', r.j->'$.tender.procuringEntity')->>'$.id') AS buyer_uscc,
       COALESCE(COALESCE(r.j->'$.buyer', r.j->'$.tender.procuringEntity')->>'$.name', buyer.name) AS buyer_name,
       r.j->>'$.tender.value.amount' AS budget,
       CASE r.j->>'$.tender.procurementMethod'
            WHEN 'open' THEN 'open'
            WHEN 'selective' THEN 'invited'
            WHEN 'direct' THEN 'single_source'
            WHEN 'limited' THEN COALESCE(r.j->>'$.tender.procurementMethodDetails', 'competitive_negotiation')
            ELSE r.j->>'$.tender.procurementMethodDetails' END AS method,
       r.j->>'$.tender.mainProcurementCategory' AS category,
       substr(COALESCE(r.j->>'$.tender.tenderPeriod.startDate', r.j->>'$.tender.datePublished'), 1, 10) AS announce_date,
       substr(r.j->>'$.tender.tenderPeriod.endDate', 1, 10) AS deadline_date,
       replace(substr(r.j->>'$.tender.tenderPeriod.endDate', 1, 19), 'T', ' ') AS deadline_at,
       substr(w.award_date, 1, 10) AS award_date,
       w.org AS winner_uscc,
       w.name AS winner_name,
       w.amount AS winning_price
FROM ocds_rel AS r
LEFT JOIN ocds_ref AS buyer
  ON buyer.ocid = r.j->>'$.ocid'
 AND buyer.party_id = COALESCE(r.j->'$.buyer', r.j->'$.tender.procuringEntity')->>'$.id'
LEFT JOIN ocds_winner AS w ON w.ocid = r.j->>'$.ocid'
ORDER BY r.n;

CREATE OR REPLACE TEMP TABLE ocds_bid AS
SELECT r.n, r.j->>'$.ocid' AS ocid, CAST(e.key AS INTEGER) AS k, e.value AS d
FROM ocds_rel AS r, json_each(r.j, '$.bids.details') AS e;

CREATE OR REPLACE TEMP TABLE ocds_bids AS
SELECT b.n, b.ocid AS tender_no,
       COALESCE(ref.org, t.value->>'$.id') AS bidder_uscc,
       COALESCE(t.value->>'$.name', ref.name) AS bidder_name,
       b.d->>'$.value.amount' AS bid_price,
       CASE b.d->>'$.status' WHEN 'disqualified' THEN 'true'
            WHEN 'valid' THEN 'false' WHEN 'withdrawn' THEN 'false' END AS disqualified,
       replace(substr(b.d->>'$.date', 1, 19), 'T', ' ') AS submitted_at,
       ref.contact AS contact_name, ref.phone AS contact_phone, ref.address AS address,
       -- The trading centre's extension fields (docs/ingest.md): who made the bid file, on which
       -- machine, and the account the bid bond was paid from (none for a bank guarantee).
       b.d->>'$.bidFile.author' AS file_creator,
       b.d->>'$.bidFile.machineId' AS file_machine_id,
       replace(substr(b.d->>'$.bidFile.dateCreated', 1, 19), 'T', ' ') AS file_created_at,
       b.d->>'$.bidBond.payer.accountNumber' AS bond_account,
       b.d->>'$.bidBond.payer.name' AS bond_payer_name
FROM ocds_bid AS b
LEFT JOIN json_each(b.d, '$.tenderers') AS t ON TRUE
LEFT JOIN ocds_ref AS ref ON ref.ocid = b.ocid AND ref.party_id = t.value->>'$.id'
ORDER BY b.n, b.k, CAST(t.key AS INTEGER);

CREATE OR REPLACE TEMP TABLE ocds_lots AS
SELECT r.n, r.j->>'$.ocid' AS tender_no, e.value->>'$.id' AS lot_id,
       e.value->>'$.title' AS lot_title, e.value->>'$.value.amount' AS lot_budget,
       e.value->>'$.status' AS lot_status
FROM ocds_rel AS r, json_each(r.j, '$.tender.lots') AS e
ORDER BY r.n, CAST(e.key AS INTEGER);

CREATE OR REPLACE TEMP TABLE ocds_awards AS
SELECT n, ocid AS tender_no, a->>'$.id' AS award_id, a->>'$.status' AS award_status,
       substr(a->>'$.date', 1, 10) AS award_date, a->>'$.value.amount' AS award_value,
       org AS supplier_uscc, name AS supplier_name, a->>'$.relatedLots[0]' AS lot_id,
       a->>'$.relatedBid' AS related_bid
FROM ocds_award_supplier
ORDER BY n, k, sk;

CREATE OR REPLACE TEMP TABLE ocds_contracts AS
SELECT r.n, r.j->>'$.ocid' AS tender_no, e.value->>'$.id' AS contract_id,
       e.value->>'$.awardID' AS award_id, e.value->>'$.status' AS contract_status,
       e.value->>'$.value.amount' AS contract_value,
       substr(e.value->>'$.dateSigned', 1, 10) AS date_signed,
       substr(e.value->>'$.period.startDate', 1, 10) AS period_start,
       substr(e.value->>'$.period.endDate', 1, 10) AS period_end
FROM ocds_rel AS r, json_each(r.j, '$.contracts') AS e
ORDER BY r.n, CAST(e.key AS INTEGER);

CREATE OR REPLACE TEMP TABLE ocds_parties AS
SELECT r.n, p.ocid AS tender_no, p.p->>'$.id' AS party_id,
       COALESCE(p.p->>'$.identifier.id', p.p->>'$.id') AS org_uscc,
       p.p->>'$.name' AS party_name,
       array_to_string(CAST(p.p->'$.roles' AS VARCHAR[]), ',') AS roles,
       NULLIF(concat_ws('', p.p->>'$.address.region', p.p->>'$.address.locality',
                        p.p->>'$.address.streetAddress'), '') AS party_address,
       p.p->>'$.contactPoint.telephone' AS party_phone,
       p.p->>'$.contactPoint.name' AS party_contact
FROM ocds_party AS p
JOIN ocds_rel AS r ON r.j->>'$.ocid' = p.ocid
ORDER BY r.n, p.k;

CREATE OR REPLACE TEMP TABLE ocds_item AS
SELECT r.n, 0 AS s, 0 AS pk, r.j->>'$.ocid' AS ocid, 'tender' AS stage, r.j->>'$.ocid' AS parent_id,
       CAST(e.key AS INTEGER) AS k, e.value AS i
FROM ocds_rel AS r, json_each(r.j, '$.tender.items') AS e
UNION ALL
SELECT a.n, 1, a.k, a.ocid, 'award', a.a->>'$.id', CAST(e.key AS INTEGER), e.value
FROM ocds_award AS a, json_each(a.a, '$.items') AS e
UNION ALL
SELECT r.n, 2, CAST(c.key AS INTEGER), r.j->>'$.ocid', 'contract', c.value->>'$.id',
       CAST(e.key AS INTEGER), e.value
FROM ocds_rel AS r, json_each(r.j, '$.contracts') AS c, json_each(c.value, '$.items') AS e;

CREATE OR REPLACE TEMP TABLE ocds_items AS
SELECT n, ocid AS tender_no, stage, parent_id, i->>'$.id' AS item_id,
       i->>'$.description' AS item_description,
       i->>'$.classification.scheme' AS classification_scheme,
       i->>'$.classification.id' AS classification_id,
       i->>'$.quantity' AS quantity, i->>'$.unit.name' AS unit_name,
       i->>'$.unit.value.amount' AS unit_price
FROM ocds_item
ORDER BY n, s, pk, k;
