"""The CRM export layouts Squadboard knows by their header labels (Salesforce and HubSpot).

Each layout lists, per field, the labels it appears under in that system's exports: report
labels, API names and the internal property names. Order in `LAYOUTS` is detection order.
"""

from __future__ import annotations

import re

from squadboard.ingest.mapping import Layout, label_key
from squadboard.ingest.reader import Table

SALESFORCE_REPORT = Layout(
    "salesforce_report",
    "deals",
    {
        "source_id": ("Opportunity ID", "Opportunity ID 18", "Opportunity: ID"),
        "name": ("Opportunity Name",),
        "account": ("Account Name", "Account"),
        "product": ("Product Name", "Product"),
        "owner": ("Opportunity Owner", "Opportunity Owner Email", "Owner", "Owner Email"),
        "stage": ("Stage",),
        "amount": ("Amount", "Amount Converted", "Total Price"),
        "probability": ("Probability (%)", "Probability"),
        "created_date": ("Created Date",),
        "close_date": ("Close Date",),
        "is_won": ("Won",),
        "is_closed": ("Closed",),
    },
    signature=("name", "owner", "stage", "close_date"),
    source="salesforce",
)

SALESFORCE_DATA_LOADER = Layout(
    "salesforce_data_loader",
    "deals",
    {
        "source_id": ("Id",),
        "name": ("Name",),
        "account": ("AccountId",),
        "owner": ("OwnerId",),
        "stage": ("StageName",),
        "amount": ("Amount",),
        "probability": ("Probability",),
        "created_date": ("CreatedDate",),
        "close_date": ("CloseDate",),
        "is_won": ("IsWon",),
        "is_closed": ("IsClosed",),
    },
    signature=("source_id", "owner", "stage", "close_date"),
    source="salesforce",
)

SALESFORCE_USERS = Layout(
    "salesforce_users",
    "users",
    {
        "user_id": ("Id", "User ID"),
        "email": ("Email",),
        "name": ("Name", "Full Name"),
        "first_name": ("FirstName", "First Name"),
        "last_name": ("LastName", "Last Name"),
    },
    signature=("user_id", "email"),
    source="salesforce",
    forbid=("StageName", "SplitPercentage", "hubspot_owner_id"),
)

SALESFORCE_SPLITS = Layout(
    "salesforce_splits",
    "splits",
    {
        "deal": ("OpportunityId", "Opportunity ID", "Opportunity: ID"),
        "owner": ("SplitOwnerId", "Team Member", "Split Owner", "Team Member Email"),
        "percent": ("SplitPercentage", "Percent (%)", "Percent", "Split Percentage"),
        "split_type": ("SplitTypeId", "Opportunity Split Type", "Split Type"),
        "note": ("SplitNote", "Note"),
    },
    signature=("deal", "owner", "percent", "split_type"),
    source="salesforce",
)

HUBSPOT_DEALS = Layout(
    "hubspot_deals",
    "deals",
    {
        "source_id": ("Record ID", "hs_object_id", "Deal ID"),
        "name": ("Deal Name", "dealname"),
        "account": ("Associated Company", "Company name", "Associated Company (Primary)"),
        "product": ("Product", "Deal Type", "dealtype"),
        "owner": ("Deal owner", "hubspot_owner_id", "Deal owner email"),
        "stage": ("Deal Stage", "dealstage"),
        "amount": ("Amount", "amount"),
        "probability": ("Deal probability", "hs_deal_stage_probability", "Deal Stage Probability"),
        "created_date": ("Create Date", "createdate"),
        "close_date": ("Close Date", "closedate"),
        "is_won": ("Is Closed Won", "hs_is_closed_won"),
        "is_closed": ("Is Deal Closed?", "hs_is_closed"),
    },
    signature=("source_id", "name", "owner", "stage"),
    source="hubspot",
    probability_scale=100,
    forbid=("hs_deal_split_percentage",),
)

HUBSPOT_SPLITS = Layout(
    "hubspot_splits",
    "splits",
    {
        "deal": ("Deal ID", "hs_deal_id", "dealId", "Record ID"),
        "owner": ("hubspot_owner_id", "Owner", "Deal owner", "Owner ID", "Owner email"),
        "percent": ("hs_deal_split_percentage", "Deal split percentage"),
    },
    signature=("deal", "owner", "percent"),
    source="hubspot",
    percent_scale=100,
)

HUBSPOT_OWNERS = Layout(
    "hubspot_owners",
    "users",
    {
        "user_id": ("Owner ID", "ownerId", "id"),
        "email": ("Email", "email"),
        "first_name": ("First Name", "firstName"),
        "last_name": ("Last Name", "lastName"),
    },
    signature=("user_id", "email", "last_name"),
    source="hubspot",
    forbid=("dealstage", "Deal Stage"),
)

LAYOUTS = {
    layout.name: layout
    for layout in (
        SALESFORCE_SPLITS,
        HUBSPOT_SPLITS,
        SALESFORCE_DATA_LOADER,
        SALESFORCE_REPORT,
        HUBSPOT_DEALS,
        SALESFORCE_USERS,
        HUBSPOT_OWNERS,
    )
}

# Files that sit beside the data in an export folder and describe it (issue #17): a data
# dictionary or readme is skipped with a note instead of refusing the whole folder.
DOC_NAME = re.compile(
    r"(?i)^(read[ _-]?me|data[ _-]?dictionary|dictionary|codebook|metadata|schema|notes?|"
    r"license|licence|field[ _-]?(list|descriptions?)|columns?)([ _.-].*)?\.\w+$"
)
FIELD_LABELS = {"field", "field name", "column", "column name", "variable", "attribute", "name"}
MEANING_LABELS = {"description", "meaning", "definition", "notes", "comment", "explanation"}


def is_documentation(table: Table) -> bool:
    """A data dictionary or readme: named like one, or a header of the shape `Field,
    Description` (at most a few columns) whose rows describe fields rather than hold data."""
    if DOC_NAME.match(table.name):
        return True
    keys = {label_key(c) for c in table.columns}
    return len(keys) <= 6 and bool(keys & FIELD_LABELS) and bool(keys & MEANING_LABELS)


def is_documentation_name(name: str) -> bool:
    """A file that cannot even be read as a table, but whose name says it is documentation."""
    return bool(DOC_NAME.match(name)) or name.lower().endswith((".md", ".pdf", ".docx", ".rtf"))
