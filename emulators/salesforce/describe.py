"""Describe results rendered from the seed's fields.json: `sobjects/{Object}/describe` and the global `sobjects`."""

from __future__ import annotations

from typing import Any

from emulators.salesforce.org import API_VERSION, KEY_PREFIXES

SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}
_TEXT_LENGTH = {
    "id": 18,
    "reference": 18,
    "picklist": 255,
    "string": 255,
    "email": 80,
    "phone": 40,
    "url": 255,
    "textarea": 32000,
}
_SYSTEM_FIELDS = {
    "Id",
    "IsDeleted",
    "CreatedDate",
    "CreatedById",
    "LastModifiedDate",
    "LastModifiedById",
    "SystemModstamp",
}


def _urls(sobject: str) -> dict[str, str]:
    base = f"/services/data/v{API_VERSION}/sobjects/{sobject}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def describe_field(field: dict[str, Any]) -> dict[str, Any]:
    """One entry of `fields`, with every key a real describe carries (dlt's source reads compoundFieldName)."""
    field_type = field["type"]
    name = field["name"]
    length = _TEXT_LENGTH.get(field_type, 0)
    system = name in _SYSTEM_FIELDS
    references = list(field.get("referenceTo", [])) if field_type == "reference" else []
    return {
        "name": name,
        "label": field.get("label", name),
        "type": field_type,
        "custom": bool(field.get("custom", name.endswith("__c"))),
        "nillable": not system and field_type != "boolean",
        "length": length,
        "byteLength": length * 3,
        "precision": 18 if field_type in ("currency", "double") else 0,
        "scale": 2 if field_type == "currency" else 0,
        "digits": 9 if field_type == "int" else 0,
        "createable": not system,
        "updateable": not system,
        "filterable": field_type != "textarea",
        "sortable": field_type != "textarea",
        "groupable": field_type not in ("textarea", "double", "currency", "percent", "datetime"),
        "calculated": False,
        "compoundFieldName": None,
        "externalId": False,
        "unique": False,
        "idLookup": name == "Id",
        "nameField": name == "Name",
        "defaultValue": None,
        "defaultValueFormula": None,
        "soapType": SOAP_TYPES.get(field_type, "xsd:string"),
        "referenceTo": references,
        "relationshipName": (name[:-2] if name.endswith("Id") else None) if references else None,
        "picklistValues": [
            {"active": True, "defaultValue": False, "label": value, "validFor": None, "value": value}
            for value in field.get("picklistValues", [])
        ],
    }


def object_summary(sobject: str, custom: bool = False) -> dict[str, Any]:
    """The object-level keys shared by the global describe's entries and the object's own describe."""
    return {
        "name": sobject,
        "label": sobject,
        "labelPlural": f"{sobject}s" if not sobject.endswith("y") else f"{sobject[:-1]}ies",
        "keyPrefix": KEY_PREFIXES.get(sobject),
        "custom": custom,
        "queryable": True,
        "retrieveable": True,
        "replicateable": True,
        "searchable": sobject not in ("OpportunityHistory", "OpportunityStage"),
        "createable": sobject not in ("OpportunityHistory", "OpportunityStage"),
        "updateable": sobject not in ("OpportunityHistory", "OpportunityStage"),
        "deletable": sobject not in ("OpportunityHistory", "OpportunityStage", "User"),
        "urls": _urls(sobject),
    }


def describe_object(sobject: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        **object_summary(sobject),
        "fields": [describe_field(field) for field in fields],
        "childRelationships": [],
        "recordTypeInfos": [],
    }


def describe_global(sobjects: list[str]) -> dict[str, Any]:
    return {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [object_summary(name) for name in sobjects]}
