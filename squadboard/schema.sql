-- Squadboard schema, the whole of it in one place.
-- Money is decimal(18, 2); ratios are fractions (1.0 = 100 %); split percentages are
-- percentage points as Salesforce stores them (60.00 = 60 %). Periods are half-open:
-- [period_start, period_end). The schema version lives in `meta` (see squadboard/db.py).

create table if not exists meta (
    key varchar primary key,
    value varchar not null
);

-- People and teams ---------------------------------------------------------------------

create table if not exists squads (
    squad_id varchar primary key,
    name varchar not null,
    region varchar,
    manager_id varchar                      -- a rep_id; the squad's leader
);

create table if not exists reps (
    rep_id varchar primary key,
    name varchar not null,
    email varchar unique,
    role varchar not null default 'AE'
        check (role in ('AE', 'SE', 'CSM', 'specialist', 'manager')),
    access varchar not null default 'rep'   -- what the person may do in Squadboard
        check (access in ('rep', 'leader', 'admin')),
    hire_date date,
    active boolean not null default true
);

-- A rep belongs to one squad at a time; a move closes one row and opens the next.
create table if not exists squad_members (
    rep_id varchar not null,
    squad_id varchar not null,
    valid_from date not null,
    valid_to date,                          -- exclusive; null = still a member
    primary key (rep_id, valid_from),
    check (valid_to is null or valid_to > valid_from)
);

-- Targets -------------------------------------------------------------------------------

-- kind: squad_base (owner = squad), rep_stretch (owner = rep), rep_goal (owner = rep, self-set)
create table if not exists quotas (
    kind varchar not null check (kind in ('squad_base', 'rep_stretch', 'rep_goal')),
    owner_id varchar not null,
    period_start date not null,
    period_end date not null,
    amount decimal(18, 2) not null check (amount >= 0),
    set_by varchar,
    set_at timestamp,
    primary key (kind, owner_id, period_start, period_end),
    check (period_end > period_start)
);

-- Pipeline ------------------------------------------------------------------------------

create table if not exists deals (
    deal_id varchar primary key,            -- '<source>:<source_id>'
    source varchar not null,                -- native, salesforce, hubspot, maven, demo ...
    source_id varchar not null,
    name varchar,
    account varchar,
    product varchar,
    owner_id varchar,                       -- a rep_id: the primary AE
    stage varchar,
    status varchar not null check (status in ('open', 'won', 'lost')),
    amount decimal(18, 2),
    probability double check (probability between 0 and 1),
    created_date date,
    close_date date,                        -- expected close for open deals; may be null
    unique (source, source_id)
);

-- Revenue credits split a deal (they total 100 % per deal and are what attainment counts);
-- overlay credits are extra and count only once the AE and the AE's manager confirmed them.
create table if not exists deal_credits (
    credit_id varchar primary key,
    deal_id varchar not null,
    rep_id varchar not null,
    credit_type varchar not null check (credit_type in ('revenue', 'overlay')),
    percent decimal(9, 4) not null check (percent > 0 and percent <= 1000),
    deal_role varchar,                      -- AE, SE, CSM, specialist, helper ...
    note varchar,
    claimed_by varchar,
    claimed_at timestamp,
    ae_confirmed_by varchar,
    ae_confirmed_at timestamp,
    manager_confirmed_by varchar,
    manager_confirmed_at timestamp,
    rejected_by varchar,
    rejected_at timestamp,
    rejected_reason varchar
);

create table if not exists activities (
    activity_id varchar primary key,
    rep_id varchar not null,
    deal_id varchar,
    kind varchar not null check (kind in ('call', 'email', 'meeting', 'demo', 'solution_doc')),
    activity_date date not null
);

create table if not exists kudos (
    kudos_id varchar primary key,
    from_rep varchar not null,
    to_rep varchar not null,
    deal_id varchar,
    category varchar not null,
    message varchar not null default '',
    given_at timestamp not null,
    check (from_rep <> to_rep)
);

-- Open pipeline as it stood on a date (taken weekly and at every import).
create table if not exists pipeline_snapshots (
    snapshot_date date not null,
    deal_id varchar not null,
    owner_id varchar,
    stage varchar,
    amount decimal(18, 2),
    probability double,
    close_date date,
    primary key (snapshot_date, deal_id)
);

-- Bookkeeping ---------------------------------------------------------------------------

create sequence if not exists import_id_seq start 1;

create table if not exists import_log (
    import_id integer primary key default nextval('import_id_seq'),
    imported_at timestamp not null,
    actor varchar not null,
    format varchar not null,
    files varchar not null,                 -- file names, comma separated
    rows_read integer not null,
    rows_written integer not null,
    details varchar,                        -- rows per table, as JSON
    undone_at timestamp,                    -- set when the import was undone
    undone_by varchar
);

-- What an import changed, so that undoing it is exact: 'before' holds every row the import
-- replaced or deleted (as JSON, the row as it was), 'added' the key of every row it wrote.
-- Written in the import's own transaction; see squadboard/ingest/undo.py.
-- Column mappings saved from the Import page, for files no known layout recognises.
create table if not exists import_mappings (
    name varchar primary key,
    mapping json not null,                  -- squadboard.ingest.mapping.Mapping as JSON
    saved_by varchar not null,
    saved_at timestamp not null
);

create table if not exists import_undo (
    import_id integer not null,
    table_name varchar not null,
    change varchar not null check (change in ('before', 'added')),
    row json not null
);

create sequence if not exists audit_id_seq start 1;

create table if not exists audit_log (
    audit_id integer primary key default nextval('audit_id_seq'),
    at_time timestamp not null,
    actor varchar not null,
    action varchar not null,                -- e.g. import, set_goal, confirm_credit
    entity varchar not null,
    entity_id varchar,
    detail varchar                          -- JSON
);

-- Plan settings as key -> value text; squadboard/plan.py owns the names, types and defaults.
create table if not exists plan_settings (
    key varchar primary key,
    value varchar not null
);

-- Masterminds ----------------------------------------------------------------------------
-- A hard deal or account worked on as a small project: the owner invites helpers, they
-- write notes and decisions, agree next steps, and the room closes with an outcome and a
-- retro. squadboard/mastermind.py holds the rules and is the only writer; every write is in
-- the audit log.

create table if not exists masterminds (
    mastermind_id varchar primary key,
    title varchar not null,
    deal_id varchar,                        -- the deal; null for an account Mastermind
    account varchar not null,               -- the account (the deal's, for a deal Mastermind)
    owner_id varchar not null,              -- the deal's owner, or a rep who owns the account
    opened_by varchar not null,             -- the owner, their leader or an admin
    goal varchar not null,                  -- the outcome aimed at
    target_date date not null,
    why varchar not null default '',        -- free text, or the weekly meeting's reasons
    status varchar not null default 'open' check (status in ('open', 'closed')),
    outcome varchar check (outcome in ('won', 'lost', 'slipped', 'no outcome')),
    retro varchar,                          -- what helped, written when it closes
    opened_at timestamp not null,
    closed_at timestamp,
    closed_by varchar,
    check ((status = 'closed') = (outcome is not null and closed_at is not null))
);

-- Invited helpers: invited -> accepted | declined (a helper may change their answer while the
-- Mastermind is open). The owner is never a helper of their own Mastermind.
create table if not exists mastermind_helpers (
    mastermind_id varchar not null,
    rep_id varchar not null,
    status varchar not null default 'invited' check (status in ('invited', 'accepted', 'declined')),
    invited_by varchar not null,
    invited_at timestamp not null,
    answered_at timestamp,
    reason varchar,                         -- the evidence the invite was suggested on, if any
    primary key (mastermind_id, rep_id)
);

-- The notes thread (kind note) and the decision log (kind decision): plain text as typed.
create table if not exists mastermind_notes (
    note_id varchar primary key,
    mastermind_id varchar not null,
    kind varchar not null check (kind in ('note', 'decision')),
    author_id varchar not null,
    body varchar not null,
    written_at timestamp not null
);

-- Next steps: an owner (any participant), a due date and a status; done_at when done.
create table if not exists mastermind_steps (
    step_id varchar primary key,
    mastermind_id varchar not null,
    title varchar not null,
    owner_id varchar not null,
    due_date date not null,
    status varchar not null default 'to do'
        check (status in ('to do', 'in progress', 'done', 'cancelled')),
    created_by varchar not null,
    created_at timestamp not null,
    updated_at timestamp not null,
    done_at timestamp
);

-- What counts as help: an accepted helper's notes and decisions, and the steps they own that
-- are done (contributed_at = when). The assists board (through deal_helpers, facts.sql), the
-- mastermind board and the collaboration profile all read it.
create or replace view mastermind_contributions as
with accepted as (
    select h.mastermind_id, h.rep_id, m.deal_id
    from mastermind_helpers as h
    inner join masterminds as m on m.mastermind_id = h.mastermind_id
    where h.status = 'accepted'
)

select a.mastermind_id, a.deal_id, a.rep_id, 'note' as kind, n.written_at as contributed_at
from accepted as a
inner join mastermind_notes as n on n.mastermind_id = a.mastermind_id and n.author_id = a.rep_id
union all
select a.mastermind_id, a.deal_id, a.rep_id, 'step' as kind, s.done_at as contributed_at
from accepted as a
inner join mastermind_steps as s on s.mastermind_id = a.mastermind_id and s.owner_id = a.rep_id
where s.status = 'done';

-- Rules shared by every query -----------------------------------------------------------

-- Fraction of [ps, pe) elapsed by the end of day as_of, in calendar days: 1/n on the first
-- day, 1.0 on the last day, 0 before the period and 1 after it.
create or replace macro elapsed_fraction(ps, pe, as_of) as
    least(greatest(date_diff('day', ps, as_of) + 1, 0), date_diff('day', ps, pe))
    / date_diff('day', ps, pe);

-- Mon-Fri days in [a, b) (b >= a): whole weeks, then the weekdays of the remaining days.
create or replace macro business_days(a, b) as
    (date_diff('day', a, b) // 7) * 5
    + len(list_filter(range(date_diff('day', a, b) % 7), lambda k: (isodow(a) - 1 + k) % 7 < 5));

-- The same fraction counted in business days (Mon-Fri): a weekend day adds nothing; a period
-- without a business day falls back to calendar days.
create or replace macro elapsed_business_fraction(ps, pe, as_of) as
    case
        when business_days(ps, pe) = 0 then elapsed_fraction(ps, pe, as_of)
        else business_days(ps, least(greatest(as_of + 1, ps), pe)::date) / business_days(ps, pe)
    end;

-- The plan's pace basis (plan setting pace_basis, stored as JSON text; default 'days').
create or replace macro pace_basis() as
    coalesce((select trim(value, '"') from plan_settings where key = 'pace_basis'), 'days');

-- The elapsed fraction every pace and expected-to-date figure uses, on the plan's basis.
create or replace macro plan_elapsed(ps, pe, as_of) as
    case
        when pace_basis() = 'business_days' then elapsed_business_fraction(ps, pe, as_of)
        else elapsed_fraction(ps, pe, as_of)
    end;

-- Whole days of the period left after as_of.
create or replace macro days_left(ps, pe, as_of) as
    least(greatest(date_diff('day', as_of, pe) - 1, 0), date_diff('day', ps, pe));

create or replace macro pace_status(pace) as
    case
        when pace is null then null
        when pace >= 1.0 then 'ahead'
        when pace >= 0.9 then 'on track'
        else 'behind'
    end;

-- Whose squad a rep was in on a given day.
create or replace view squad_membership_days as
select rep_id, squad_id, valid_from, coalesce(valid_to, date '9999-12-31') as valid_to
from squad_members;

-- Derived tables: worked out from deals, credits, memberships and activities by the
-- statements in squadboard/facts.sql, which squadboard/facts.py runs inside every write that
-- changes what they hold. Never written by hand; `facts.refresh` rebuilds them.

-- One row per revenue credit on a won deal (splits, else 100 % to the owner); squad_id is the
-- rep's squad on the close date; amount is in whole cents, the leftover cents of a split going
-- to the largest remainders, so a deal's credits add up to its amount to the cent.
create table if not exists credited_revenue (
    deal_id varchar not null,
    rep_id varchar,
    squad_id varchar,
    close_date date not null,
    percent decimal(9, 4) not null,
    amount decimal(38, 8) not null,
    deal varchar,                           -- the deal's name, account ... as in deals
    account varchar,
    product varchar,
    stage varchar,
    deal_amount decimal(18, 2),
    probability double
);

-- Overlay credits that count: confirmed by the AE and the manager, not rejected, won deals.
create table if not exists confirmed_overlay (
    deal_id varchar not null,
    rep_id varchar not null,
    close_date date,
    deal_role varchar,
    percent decimal(9, 4) not null,
    amount decimal(38, 8)
);

-- One row per revenue credit on an open deal; weighted = amount x the deal's probability.
create table if not exists open_pipeline_credits (
    deal_id varchar not null,
    rep_id varchar,
    squad_id varchar,
    close_date date,
    amount decimal(38, 8) not null,
    weighted double not null,
    percent decimal(9, 4) not null,
    deal varchar,                           -- the deal's name, account ... as in deals
    account varchar,
    product varchar,
    stage varchar,
    deal_amount decimal(18, 2),
    probability double
);

-- Who helped win a deal they do not own (revenue split, confirmed overlay, logged activity).
create table if not exists deal_helpers (
    deal_id varchar not null,
    rep_id varchar not null,
    close_date date not null
);

-- Activities logged on each won deal, per rep and kind (the points of its deal pod).
create table if not exists deal_activity (
    deal_id varchar not null,
    rep_id varchar not null,
    close_date date not null,
    kind varchar not null,
    activities integer not null
);

-- Activities per rep, calendar month (its first day) and kind.
create table if not exists activity_months (
    rep_id varchar not null,
    month date not null,
    kind varchar not null,
    activities integer not null
);

-- Open pipeline per owner on each snapshot day against the snapshot day before it.
create table if not exists pipeline_changes (
    snapshot_date date not null,
    owner_id varchar,
    pipeline decimal(18, 2) not null,          -- open on snapshot_date
    pipeline_before decimal(18, 2) not null,   -- open on before_date
    added decimal(18, 2) not null,             -- open now, not open then
    removed decimal(18, 2) not null,           -- open then, not now (won, lost or dropped)
    before_date date                           -- null for the first snapshot
);

-- The first whole calendar month of [ps, pe) starts on first_whole_month(ps, pe) and the
-- whole months end on after_whole_months(ps, pe) (both pe when there is no whole month).
create or replace macro first_whole_month(ps, pe) as
    least(date_trunc('month', ps::date - 1) + interval 1 month, pe::date)::date;

create or replace macro after_whole_months(ps, pe) as
    greatest(date_trunc('month', pe::date), first_whole_month(ps, pe))::date;

-- Activities per rep and kind with activity_date in [ps, pe), for any dates: whole calendar
-- months come from activity_months, the days before and after them from activities itself.
-- Each part is one plain date range, so a scan reads only that range's row groups.
create or replace macro activity_counts(ps, pe) as table
with counted as (
    select rep_id, kind, activities
    from activity_months
    where month >= first_whole_month(ps, pe) and month < after_whole_months(ps, pe)
    union all
    select rep_id, kind, 1
    from activities
    where activity_date >= ps and activity_date < first_whole_month(ps, pe)
    union all
    select rep_id, kind, 1
    from activities
    where activity_date >= after_whole_months(ps, pe) and activity_date < pe
)

select rep_id, kind, sum(activities)::bigint as activities
from counted
group by rep_id, kind;

-- Quota of each owner for [ps, pe): quotas inside the period count whole, a quota that only
-- overlaps the period counts pro rata by days (a quarterly quota seen in a month view).
create or replace macro quota_in_period(quota_kind, ps, pe) as table
select
    owner_id,
    sum(
        amount::decimal(38, 2)
        * date_diff('day', greatest(period_start, ps), least(period_end, pe))
        / date_diff('day', period_start, period_end)
    )::decimal(18, 2) as quota
from quotas
where kind = quota_kind and period_start < pe and period_end > ps
group by owner_id;

-- Points per activity kind: the plan's weight_<kind> setting, else its default in
-- squadboard/plan.py. Every board and pool that weighs activities reads it from here.
create or replace view activity_weights as
select d.kind, coalesce(p.value::double, d.weight) as weight
from (
    values ('call', 1.0), ('email', 0.5), ('meeting', 2.0), ('demo', 3.0), ('solution_doc', 3.0)
) as d (kind, weight)
left join plan_settings as p on p.key = 'weight_' || d.kind;

-- Territory crediting (issue #17) --------------------------------------------------------

-- The squad a deal names itself (its team or territory column, mapping field `team`), as a
-- squad_id; null when the export has none. Credited to it when the plan's squad_credit_rule
-- is 'deal_team' (facts.sql). Added to files made before it.
alter table deals add column if not exists team_squad_id varchar;

-- The plan's squad crediting rule (plan setting squad_credit_rule, JSON text): 'rep_squad'
-- (the default: the rep's squad on the close date) or 'deal_team' (the squad on the deal).
create or replace macro squad_credit_rule() as
    coalesce(
        (select trim(value, '"') from plan_settings where key = 'squad_credit_rule'), 'rep_squad'
    );

-- Mentoring ----------------------------------------------------------------------------
-- Find a mentor (issue #13): skill profiles from deal outcomes, help requests, mentor
-- settings. squadboard/mentoring.py owns the rules and every write.

-- A rep's mentor settings. No row means: available, mentee limit 2, no topics.
create table if not exists mentor_settings (
    rep_id varchar primary key,
    available boolean not null default true,
    mentee_limit integer not null default 2 check (mentee_limit between 0 and 20),
    topics varchar not null default '',       -- what they are glad to help with, as typed
    updated_by varchar,
    updated_at timestamp
);

-- A request for help. topic_kind cell: a skill cell (dimension, segment); account: the
-- account; free: the topic as typed. Statuses: open -> accepted | declined | withdrawn;
-- accepted -> done | withdrawn. The mentor's mentees are their accepted requests.
create table if not exists help_requests (
    request_id varchar primary key,
    asker_id varchar not null,
    mentor_id varchar not null,
    topic_kind varchar not null check (topic_kind in ('cell', 'account', 'free')),
    dimension varchar,
    segment varchar,
    account varchar,
    topic varchar not null,                   -- how the topic reads
    message varchar not null default '',
    deal_id varchar,
    status varchar not null default 'open'
        check (status in ('open', 'accepted', 'declined', 'withdrawn', 'done')),
    note varchar,                             -- the mentor's note on accepting or declining
    asked_at timestamp not null,
    accepted_at timestamp,
    declined_at timestamp,
    withdrawn_at timestamp,
    done_at timestamp,
    done_by varchar,
    thanked_kudos_id varchar,                 -- the asker's thank-you kudos, once
    check (asker_id <> mentor_id)
);

-- Account attributes an import or the demo brings (e.g. sector); account_key is
-- lower(trim(account)), so spelling of case and spaces does not matter.
create table if not exists account_attributes (
    account_key varchar not null,
    attribute varchar not null,
    value varchar not null,
    primary key (account_key, attribute)
);

-- 95 % Wilson score interval of won / deals: a small sample gets a wide interval.
create or replace macro wilson_low(won, n) as
    case when n > 0 then
        (won / n + 1.96 ^ 2 / (2 * n)
         - 1.96 * sqrt((won / n) * (1 - won / n) / n + 1.96 ^ 2 / (4 * n * n)))
        / (1 + 1.96 ^ 2 / n)
    end;

create or replace macro wilson_high(won, n) as
    case when n > 0 then
        (won / n + 1.96 ^ 2 / (2 * n)
         + 1.96 * sqrt((won / n) * (1 - won / n) / n + 1.96 ^ 2 / (4 * n * n)))
        / (1 + 1.96 ^ 2 / n)
    end;

-- Product names that differ only by case or spacing are one product.
create or replace macro product_key(p) as lower(regexp_replace(p, '\s+', '', 'g'));

-- Whole dollars with thousands separators, for segment labels and evidence.
create or replace macro dollars(x) as '$' || format('{:,}', round(x)::bigint);

-- Derived (squadboard/facts.sql keeps them per deal): every deal a rep owns that closed (won
-- or lost), with what skill_deals reads of it, and the stages a pipeline snapshot saw it at
-- (first_seen: the first snapshot day that did), so that a window's skill cells read these
-- rows instead of joining the deals with every pipeline snapshot on each call.
create table if not exists skill_facts (
    deal_id varchar not null,
    rep_id varchar not null,                -- the owner
    close_date date not null,
    won boolean not null,
    amount decimal(18, 2),
    cycle_days bigint,                      -- created to close
    product varchar,                        -- as spelled on the deal
    product_key varchar,                    -- product_key(product); null without a product
    account_key varchar                     -- lower(trim(account)), for account_attributes
);

create table if not exists skill_stage_facts (
    deal_id varchar not null,
    rep_id varchar not null,
    close_date date not null,
    won boolean not null,
    amount decimal(18, 2),
    cycle_days bigint,
    stage varchar not null,
    first_seen date not null
);

-- The size bands of a window [ps, pe): the quartiles of its won amounts (one sort for the
-- three) and the four labels, "$1,050–$3,200 (second quarter)": the money, then the quarter's
-- place. No row when nothing with an amount was won.
create or replace macro skill_bands(ps, pe) as table
select
    q1, q2, q3,
    'under ' || dollars(q1) || ' (smallest quarter)' as b1,
    dollars(q1) || '–' || dollars(q2) || ' (second quarter)' as b2,
    dollars(q2) || '–' || dollars(q3) || ' (third quarter)' as b3,
    dollars(q3) || ' and over (largest quarter)' as b4
from (
    select q[1] as q1, q[2] as q2, q[3] as q3
    from (
        select quantile_cont(amount, [0.25, 0.5, 0.75]) as q
        from skill_facts
        where close_date >= ps and close_date < pe and won and amount > 0
    )
)
where q1 is not null;

-- Every deal owned by a rep that closed (won or lost) in [ps, pe), once per segment of each
-- dimension it falls in: overall; product; size_band (the won amounts' quartiles of the
-- window; deals without an amount are in no band); sector (account_attributes); stage
-- (every stage a pipeline snapshot before pe saw the deal at). Size bands read
-- "$1,050–$3,200 (second quarter)": the money, then the quarter's place. Reads skill_facts
-- and skill_stage_facts (the deals' rows, kept by facts.sql).
create or replace macro skill_deals(ps, pe) as table
with closed as (
    select deal_id, rep_id, product, account_key, amount, cycle_days, close_date, won
    from skill_facts
    where close_date >= ps and close_date < pe
),

bands as (
    select * from skill_bands(ps, pe)
),

spellings as (
    select product, product_key(product) as k, count(*) as n
    from closed
    where product is not null and trim(product) <> ''
    group by product
),

product_names as (
    -- each spelling -> the spelling most deals use (ties: the first in order)
    select s.product, first(t.product order by t.n desc, t.product) as label
    from spellings as s inner join spellings as t on t.k = s.k
    group by s.product
),

sectors as (
    select account_key, trim(value) as sector
    from account_attributes
    where attribute = 'sector' and trim(value) <> ''
)

select rep_id, 'overall' as dimension, 'all deals' as segment, deal_id, won, amount, cycle_days, close_date
from closed
union all
select c.rep_id, 'product', p.label, c.deal_id, c.won, c.amount, c.cycle_days, c.close_date
from closed as c inner join product_names as p on p.product = c.product
union all
select
    c.rep_id,
    'size_band',
    case
        when c.amount < b.q1 then b.b1
        when c.amount < b.q2 then b.b2
        when c.amount < b.q3 then b.b3
        else b.b4
    end,
    c.deal_id, c.won, c.amount, c.cycle_days, c.close_date
from closed as c, bands as b
where c.amount > 0
union all
select c.rep_id, 'sector', a.sector, c.deal_id, c.won, c.amount, c.cycle_days, c.close_date
from closed as c inner join sectors as a on a.account_key = c.account_key
union all
select rep_id, 'stage', stage, deal_id, won, amount, cycle_days, close_date
from skill_stage_facts
where close_date >= ps and close_date < pe and first_seen < pe;

-- One row per rep x dimension x segment of the deals skill_deals(ps, pe) lists, with the Wilson
-- interval; median_cycle_days and avg_won_amount are of the won deals (created to close).
-- Grouped one dimension at a time on the facts (a size band by its quarter, labelled after),
-- which is what keeps it fast; a caller that reads neither cycle nor amount does not work out
-- their medians (DuckDB drops unused aggregates).
create or replace macro skill_cells(ps, pe) as table
with closed as not materialized (
    -- each use reads only the columns it needs
    select rep_id, product, product_key, account_key, amount, cycle_days, won
    from skill_facts
    where close_date >= ps and close_date < pe
),

bands as (
    select * from skill_bands(ps, pe)
),

spellings as (
    select product, product_key as k, count(*) as n
    from closed
    where product_key is not null
    group by product, product_key
),

product_names as (
    -- each product (its key) -> the spelling most deals use (ties: the first in order)
    select k, first(product order by n desc, product) as label
    from spellings
    group by k
),

by_product as (
    -- grouped by the key, labelled after: a key has exactly one label
    select
        rep_id,
        product_key as k,
        count(*) as deals,
        count(*) filter (where won) as won,
        median(cycle_days) filter (where won)::double as median_cycle_days,
        avg(amount) filter (where won)::decimal(18, 2) as avg_won_amount
    from closed
    where product_key is not null
    group by rep_id, product_key
),

sectors as (
    select account_key, trim(value) as sector
    from account_attributes
    where attribute = 'sector' and trim(value) <> ''
),

by_band as (
    select
        c.rep_id,
        case when c.amount < b.q1 then 1 when c.amount < b.q2 then 2
            when c.amount < b.q3 then 3 else 4 end as band,
        count(*) as deals,
        count(*) filter (where won) as won,
        median(cycle_days) filter (where won)::double as median_cycle_days,
        avg(amount) filter (where won)::decimal(18, 2) as avg_won_amount
    from closed as c, bands as b
    where c.amount > 0
    group by all
),

grouped as (
    select
        rep_id, 'overall' as dimension, 'all deals' as segment,
        count(*) as deals,
        count(*) filter (where won) as won,
        median(cycle_days) filter (where won)::double as median_cycle_days,
        avg(amount) filter (where won)::decimal(18, 2) as avg_won_amount
    from closed
    group by rep_id
    union all
    select g.rep_id, 'product', p.label, g.deals, g.won, g.median_cycle_days, g.avg_won_amount
    from by_product as g inner join product_names as p on p.k = g.k
    union all
    select
        g.rep_id, 'size_band', [b.b1, b.b2, b.b3, b.b4][g.band],
        g.deals, g.won, g.median_cycle_days, g.avg_won_amount
    from by_band as g, bands as b
    union all
    select
        c.rep_id, 'sector', a.sector,
        count(*) as deals,
        count(*) filter (where won) as won,
        median(cycle_days) filter (where won)::double as median_cycle_days,
        avg(amount) filter (where won)::decimal(18, 2) as avg_won_amount
    from closed as c inner join sectors as a on a.account_key = c.account_key
    group by c.rep_id, a.sector
    union all
    select
        rep_id, 'stage', stage,
        count(*) as deals,
        count(*) filter (where won) as won,
        median(cycle_days) filter (where won)::double as median_cycle_days,
        avg(amount) filter (where won)::decimal(18, 2) as avg_won_amount
    from skill_stage_facts
    where close_date >= ps and close_date < pe and first_seen < pe
    group by rep_id, stage
)

select
    g.rep_id,
    r.name as rep,
    g.dimension,
    g.segment,
    g.deals::integer as deals,
    g.won::integer as won,
    g.won / g.deals as win_rate,
    wilson_low(g.won, g.deals) as rate_low,
    wilson_high(g.won, g.deals) as rate_high,
    g.median_cycle_days,
    g.avg_won_amount
from grouped as g
inner join reps as r on r.rep_id = g.rep_id;

-- skill_cells without the rep's name, cycle or amount: what the team medians,
-- mentor_suggestions and Suggest pairs compare.
create or replace macro skill_counts(ps, pe) as table
select rep_id, dimension, segment, deals, won, win_rate, rate_low, rate_high
from skill_cells(ps, pe);

-- A rate as people say it: 0.756 -> '76 %'.
create or replace macro pct_text(x) as round(100 * x)::integer || ' %';

-- How a skill cell reads after "won 9 of 31 ...": 'GTX Pro deals', 'deals of $518–$1,117'.
create or replace macro cell_phrase(dimension, segment) as
    case dimension
        when 'overall' then 'deals'
        when 'product' then segment || ' deals'
        when 'size_band' then
            case when segment like 'under %' then 'deals ' else 'deals of ' end
            || split_part(segment, ' (', 1)
        when 'sector' then 'deals with ' || segment || ' accounts'
        when 'stage' then 'deals that reached ' || segment
        else segment || ' deals'
    end;

-- Who can take a mentee now: active, not opted out, fewer accepted mentees than their limit.
create or replace view mentors_with_room as
select
    r.rep_id,
    coalesce(s.mentee_limit, 2) as mentee_limit,
    coalesce(a.mentees, 0) as mentees
from reps as r
left join mentor_settings as s on s.rep_id = r.rep_id
left join (
    select mentor_id, count(*)::integer as mentees
    from help_requests where status = 'accepted' group by mentor_id
) as a on a.mentor_id = r.rep_id
where r.active and coalesce(s.available, true)
    and coalesce(a.mentees, 0) < coalesce(s.mentee_limit, 2);

-- Weekly meeting (issue #14) -------------------------------------------------------------
-- Frozen weeks: written once by squadboard/meeting.py when a week (Monday-Sunday) has ended,
-- never rewritten and never rebuilt from the snapshots again; a later import that corrects
-- the past shows in the next week. Not derived tables: facts.refresh leaves them alone.

-- One row per frozen week: where its end state came from.
create table if not exists meeting_weeks (
    week_start date primary key,            -- a Monday
    week_end date not null,                 -- its Sunday
    source_date date,                       -- the last snapshot in the week; null = carried
    as_of date not null,                    -- the snapshot day the end state is from
    frozen_at timestamp not null
);

-- Every deal open at a frozen week's end (status 'open'), and every deal open at the week
-- before's end that was no longer open at this one (status won, lost or removed), as they stood.
create table if not exists meeting_week_deals (
    week_start date not null,
    deal_id varchar not null,
    status varchar not null check (status in ('open', 'won', 'lost', 'removed')),
    owner_id varchar,
    squad_id varchar,                       -- the owner's squad on the week's Sunday
    stage varchar,
    amount decimal(18, 2),
    probability double,
    close_date date,
    deal varchar,                           -- the deal's name and account when frozen
    account varchar,
    stage_since date,                       -- first snapshot day showing the current stage
    pushes integer not null default 0,      -- times the close date moved later, all weeks
    last_change date,                       -- last snapshot day stage, amount, close or owner changed
    ended_stage varchar,                    -- a stage left this week (changed, won, lost ...)
    ended_stage_days integer,               -- and how many days the deal had been in it
    primary key (week_start, deal_id)
);

-- Where each squad stood at a frozen week's end, in the fiscal quarter of the week.
create table if not exists meeting_week_squads (
    week_start date not null,
    squad_id varchar not null,
    quarter varchar not null,               -- e.g. 2026-Q4
    quota decimal(18, 2),
    credited decimal(18, 2) not null,
    credited_week_ago decimal(18, 2) not null,
    attainment double,
    attainment_week_ago double,
    pace double,
    status varchar,
    primary key (week_start, squad_id)
);

-- Decisions and actions recorded in a meeting; open ones carry into the next meeting.
create table if not exists meeting_actions (
    action_id varchar primary key,          -- a digest of week, squad, kind, text, owner, due
    week_start date not null,               -- the meeting's week
    squad_id varchar,                       -- null = the all-squads meeting
    kind varchar not null check (kind in ('action', 'decision')),
    text varchar not null,
    owner_id varchar,
    due_date date,
    created_by varchar not null,
    created_at timestamp not null,
    done_at timestamp,
    done_by varchar
);

-- The fiscal quarter a meeting week belongs to: the one containing its Thursday (the week's
-- middle, as ISO weeks count), on the plan's fiscal_year_start_month (default January).
create or replace macro meeting_quarter_start(week_start) as (
    date_trunc('month', week_start::date + 3)
    - to_months(
        ((month(week_start::date + 3) - coalesce(
            (select value::integer from plan_settings where key = 'fiscal_year_start_month'), 1
        ) + 12) % 12 % 3)::integer
    )
)::date;

-- Every deal in a frozen week's bridge scope at its start (the week before's frozen end) or
-- at its end, with the one category it moved in (null: in both, same amount). Scope: open,
-- closing in the week's quarter, owned by the squad's reps (squad null: by any squad's).
-- Precedence: won, lost, removed, pushed_out, pulled_in, moved_in / moved_out, new, grown /
-- shrunk. change is what the deal adds to the pipeline (negative when it takes away). The
-- frozen rows of the two weeks are read once each (materialized), not once per join.
create or replace macro meeting_movements(week, squad) as table
with bounds as materialized (
    select
        meeting_quarter_start(week) as quarter_start,
        (meeting_quarter_start(week) + interval 3 month)::date as quarter_end
),

before_all as materialized (
    select * from meeting_week_deals
    where week_start = week::date - 7 and status = 'open'
),

after_all as materialized (
    select * from meeting_week_deals where week_start = week::date
),

in_scope_start as materialized (
    select b.* from before_all as b, bounds
    where b.close_date >= bounds.quarter_start and b.close_date < bounds.quarter_end
        and (b.squad_id = squad or (squad is null and b.squad_id is not null))
),

in_scope_end as materialized (
    select a.* from after_all as a, bounds
    where a.status = 'open'
        and a.close_date >= bounds.quarter_start and a.close_date < bounds.quarter_end
        and (a.squad_id = squad or (squad is null and a.squad_id is not null))
),

scoped as (
    select deal_id from (
        select deal_id from in_scope_start
        union
        select deal_id from in_scope_end
    )
    where exists (select 1 from meeting_weeks where week_start = week::date)
),

paired as (
    select
        k.deal_id,
        s.deal_id is not null as in_start,
        e.deal_id is not null as in_end,
        coalesce(s.amount, 0) as amount_start,
        coalesce(e.amount, 0) as amount_end_open,
        a.status as status_after,
        a.close_date as close_after,
        a.squad_id as squad_after,
        b.close_date as close_before,
        b.deal_id is not null as seen_before,
        s.close_date as close_date_start,
        s.stage as stage_start,
        coalesce(a.close_date, s.close_date) as close_date_end,
        coalesce(a.stage, s.stage) as stage_end,
        case when a.status = 'open' then a.amount end as amount_end,
        coalesce(a.owner_id, s.owner_id) as owner_id,
        coalesce(a.deal, s.deal, b.deal) as deal,
        coalesce(a.account, s.account, b.account) as account
    from scoped as k
    left join in_scope_start as s on s.deal_id = k.deal_id
    left join in_scope_end as e on e.deal_id = k.deal_id
    left join after_all as a on a.deal_id = k.deal_id
    left join before_all as b on b.deal_id = k.deal_id
),

categorised as (
    select
        p.*,
        case
            when p.in_start and not p.in_end then
                case
                    when p.status_after = 'won' then 'won'
                    when p.status_after = 'lost' then 'lost'
                    when p.status_after is distinct from 'open' then 'removed'
                    when p.close_after >= bounds.quarter_end then 'pushed_out'
                    when p.close_after < bounds.quarter_start or p.close_after is null then 'removed'
                    else 'moved_out'
                end
            when p.in_end and not p.in_start then
                case
                    when not p.seen_before then 'new'
                    when p.close_before is null
                        or p.close_before < bounds.quarter_start
                        or p.close_before >= bounds.quarter_end then 'pulled_in'
                    else 'moved_in'
                end
            when p.amount_end_open > p.amount_start then 'grown'
            when p.amount_end_open < p.amount_start then 'shrunk'
        end as category,
        (case when p.in_end then p.amount_end_open else 0 end
            - case when p.in_start then p.amount_start else 0 end)::decimal(18, 2) as change
    from paired as p, bounds
)

select * from categorised;
