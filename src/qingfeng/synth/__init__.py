"""qingfeng.synth — a synthetic county (都匀市, Guizhou) with department files and ground truth.

`generate(out_dir, persons, seed, start, end)` writes one file per department export and
`truth.json`; docs/synth.md describes every file and column, `departments.py` the department
header of each standard field, README.md in this folder the planted models and their rules.
"""

from __future__ import annotations

from qingfeng.synth.generate import SynthError, SynthResult, WrittenFile, generate
from qingfeng.synth.truth import Planted, Truth

# The model ids the truth file uses (truth.json planted[].model), in the order of issue 6.
MODEL_IDS: tuple[str, ...] = (
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

__all__ = ["MODEL_IDS", "Planted", "SynthError", "SynthResult", "Truth", "WrittenFile", "generate"]
