{#- The attribute files of a spreadsheet entity, one row per (attribute_of, id): each column's value from the files
    that give one (the largest when two files disagree). The entity's own sheet wins over them (coalesce first). -#}
{% macro attributes_by_record(relation, id_column) -%}
    select
        attribute_of,
        {{ id_column }},
        max(owner_name) as owner_name,
        max(owner_name_key) as owner_name_key,
        max(segment) as segment,
        max(lead_type) as lead_type,
        max(product) as product,
        max(declared_revenue) as declared_revenue,
        max(industry) as industry,
        max(company_size) as company_size

    from {{ relation }}

    group by 1, 2
{%- endmacro %}
