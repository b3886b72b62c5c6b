"""The built-in model library: `model_library/models/*.yaml`, loaded by
`qingfeng.engine.load_models`.

`CORE_MODEL_IDS` are the 32 core models, in their fixed order; they are the ids the synthetic
county plants cases and decoys for (truth.json `planted[].model`), so precision and recall can be
measured per model. The library holds more (statistical, graph and text models, the engine's
worked examples) beside them.
"""

CORE_MODEL_IDS: tuple[str, ...] = (
    "subsidy_after_death",
    "old_age_not_enrolled",
    "dibao_owns_car",
    "payroll_in_dibao",
    "dibao_member_owns_company",
    "duplicate_payment",
    "recipient_name_mismatch",
    "shared_payment_account",
    "farm_machinery_fraud",
    "disability_subsidy_without_certificate",
    "medical_claim_anomaly",
    "approval_for_relative",
    "official_runs_business",
    "official_resettlement_housing",
    "relative_company_wins_contract",
    "double_payroll",
    "bid_file_same_origin",
    "bidders_share_ties",
    "tender_single_bidder_or_short_period",
    "bid_price_anomaly",
    "bid_disqualification_anomaly",
    "contract_splitting",
    "bid_rotation",
    "reception_over_standard",
    "reception_weekend_or_luxury",
    "official_car_private_use",
    "canteen_stockpiling",
    "canteen_spend_outlier",
    "canteen_supplier_relative",
    "village_payment_irregular",
    "village_cash_or_round",
    "complaint_anomaly",
)

# Money followed through bank accounts: the synthetic county plants cases and decoys for them
# too (truth.json), beside the core models.
MONEY_MODEL_IDS: tuple[str, ...] = (
    "subsidy_money_reaches_approver_kin",
    "subsidy_round_trip_to_payer",
    "subsidy_recipients_feed_one_account",
    "public_money_pass_through",
)

# Beyond rules: a statistical peer-outlier, a graph and a text-similarity model.
BEYOND_RULES_MODEL_IDS: tuple[str, ...] = (
    "canteen_spend_peer_outlier",
    "official_near_contract_winner",
    "complaint_reply_copy_paste",
    "village_benford_deviation",
)
