-- 010: attribution as a touch (issue 15, item 6). A contact's attribution comes from one visit, never field by
-- field: original_* from its first touch, latest_* from its newest (hygiene/survivorship.h, survivorship.toml
-- [touch]); lineage names each column's source record and the two touches ("original_touch", "latest_touch").
-- The unprefixed lead_source, utm_* and click id columns are the first touch's, as original_*. `channel` is the
-- GA4 default channel group (hygiene/attribution.h). Columns are filled on the next recompute of each contact.
ALTER TABLE contact
  ADD COLUMN channel                text,
  ADD COLUMN original_lead_source   text,
  ADD COLUMN original_channel       text,
  ADD COLUMN original_utm_source    text,
  ADD COLUMN original_utm_medium    text,
  ADD COLUMN original_utm_campaign  text,
  ADD COLUMN original_utm_term      text,
  ADD COLUMN original_utm_content   text,
  ADD COLUMN original_gclid         text,
  ADD COLUMN original_fbclid        text,
  ADD COLUMN original_msclkid       text,
  ADD COLUMN original_referrer      text,
  ADD COLUMN original_page_url      text,
  ADD COLUMN latest_lead_source     text,
  ADD COLUMN latest_channel         text,
  ADD COLUMN latest_utm_source      text,
  ADD COLUMN latest_utm_medium      text,
  ADD COLUMN latest_utm_campaign    text,
  ADD COLUMN latest_utm_term        text,
  ADD COLUMN latest_utm_content     text,
  ADD COLUMN latest_gclid           text,
  ADD COLUMN latest_fbclid          text,
  ADD COLUMN latest_msclkid         text,
  ADD COLUMN latest_referrer        text,
  ADD COLUMN latest_page_url        text;
