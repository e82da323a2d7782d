"""The words of the exports (``bundle._exports``) in Dutch and English: column headers, the
front sheet, and where each language's files lie and how their CSV cells are written (the
Dutch Excel dialect: ``;`` and a decimal comma; the English one: ``,`` and a decimal point).

Cells inside the tables are the bundle's own (codes, and the texts the analyses wrote), but for
the words of a short list of columns (``VALUES``: a statistic's kind, a direction, a model
check) that the analyses write as English codes; the headers, those words, the front sheet and
the names sheet change with the language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

LANGS = ("nl", "en")
#: the finest precision the report shows (a share as 12.3 %, a p-value as 0.012)
DECIMALS = 3
NOT_APPLICABLE = "–"


@dataclass(frozen=True)
class ExportLang:
    """One language's exports: where the workbook and the CSVs lie (and their kinds in the
    manifest), the names of the two sheets that are not tables, and the CSV dialect."""

    lang: str
    workbook: str
    csv: str  # "{name}" is the output
    workbook_kind: str
    csv_kind: str
    front: str
    names: str
    delimiter: str
    decimal: str
    yes: str
    no: str

    def cell(self, value: object) -> str:
        """A cell in this dialect: the language's decimal mark, no thousands separator,
        booleans as words (Excel would read TRUE/WAAR in one language only)."""
        if isinstance(value, bool):
            return self.yes if value else self.no
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            if value != 0 and abs(value) < 1e-4:  # Excel reads 1,58E-37 / 1.58E-37
                return f"{value:.2E}".replace(".", self.decimal)
            return np.format_float_positional(value, trim="-").replace(".", self.decimal)
        return str(value)


EXPORTS: dict[str, ExportLang] = {
    "nl": ExportLang("nl", "exports/tabellen.xlsx", "exports/csv/{name}.csv", "workbook",
                     "table_csv_nl", "Toelichting", "Namen", ";", ",", "ja", "nee"),
    "en": ExportLang("en", "exports/en/tables.xlsx", "exports/en/csv/{name}.csv",
                     "workbook_en", "table_csv_en", "About", "Names", ",", ".", "yes", "no"),
}

#: the match table's link statuses, which linking writes in Dutch (text.yaml's ``status:``
#: words, kept the same by a test)
MATCH_STATUSES: dict[str, tuple[str, str]] = {
    "doelgroep": ("doelgroep", "target group"),
    "niet gekoppeld": ("niet gekoppeld", "not linked"),
    "niet gevonden": ("niet gevonden", "not found"),
    "buiten de gemeente": ("buiten de gemeente", "outside the municipality"),
    "buiten het venster": ("buiten het venster", "outside the window"),
    "geen huishouden": ("geen huishouden", "no household"),
    "totaal": ("totaal", "total")}
#: the effect evaluation's estimators (the report's words, text.yaml; a test keeps them the same)
EFFECT_METHODS: dict[str, tuple[str, str]] = {
    "imputation": ("verschil-in-verschillen (imputatie)",
                   "difference-in-differences (imputation)"),
    "twfe": ("verschil-in-verschillen (twee vaste effecten)",
             "difference-in-differences (two-way fixed effects)"),
    "sdid": ("synthetisch verschil-in-verschillen", "synthetic difference-in-differences"),
    "placebo_time": ("schijnstart", "pretend start")}

#: column names of the package's tables in words (nl, en); a column made of a variable and
#: suffixes (``young_mother_rate_low``) is named from labels.csv and ``SUFFIXES``
HEADERS: dict[str, tuple[str, str]] = {
    "step": ("Stap", "Step"), "rows_in": ("Aantal in", "Rows in"),
    "rows_out": ("Aantal uit", "Rows out"), "dropped": ("Afgevallen", "Dropped"),
    "reason": ("Reden", "Reason"), "partner": ("Partner", "Partner"),
    "status": ("Status", "Status"), "count": ("Aantal", "Number"),
    "factor": ("Kenmerk", "Characteristic"), "factors": ("Kenmerken", "Characteristics"),
    "type": ("Type", "Type"), "level": ("Categorie", "Level"), "label": ("Naam", "Name"),
    "statistic": ("Maat", "Statistic"), "n": ("Totaal (n)", "Total (n)"),
    "value": ("Waarde", "Value"), "ci_low": ("95%-BI ondergrens", "95% CI lower"),
    "ci_high": ("95%-BI bovengrens", "95% CI upper"), "diff": ("Verschil", "Difference"),
    "smd": ("Gestandaardiseerd verschil", "Standardised difference"),
    "p": ("p-waarde", "p-value"), "p_value": ("p-waarde", "p-value"),
    "q_value": ("q-waarde (gecorrigeerd)", "q-value (adjusted)"),
    "direction": ("Richting", "Direction"), "phrase": ("Zin", "Phrase"),
    "band": ("Duur", "Duration"), "share": ("Aandeel", "Share"), "term": ("Term", "Term"),
    "coef": ("Coëfficiënt", "Coefficient"), "se": ("Standaardfout", "Standard error"),
    "z": ("z", "z"),
    "interaction": ("Interactie (odds ratio)", "Interaction (odds ratio)"),
    "odds_ratio": ("Odds ratio", "Odds ratio"),
    "or_low": ("Odds ratio ondergrens", "Odds ratio lower"),
    "or_high": ("Odds ratio bovengrens", "Odds ratio upper"), "check": ("Controle", "Check"),
    "note": ("Toelichting", "Note"), "metric": ("Maat", "Metric"), "group": ("Groep", "Group"),
    "events": ("Met uitkomst", "With outcome"), "non_events": ("Zonder uitkomst",
                                                               "Without outcome"),
    "observed": ("Waargenomen", "Observed"), "predicted": ("Voorspeld", "Predicted"),
    "expected_events": ("Verwacht aantal", "Expected number"),
    "attribute": ("Groepskenmerk", "Attribute"), "tp": ("Terecht gesignaleerd",
                                                         "True positives"),
    "fp": ("Onterecht gesignaleerd", "False positives"),
    "fn": ("Gemist", "False negatives"), "tn": ("Terecht niet gesignaleerd", "True negatives"),
    "tpr": ("Aandeel gevonden", "True positive rate"),
    "fpr": ("Aandeel onterecht gesignaleerd", "False positive rate"),
    "selection_rate": ("Aandeel gesignaleerd", "Selection rate"),
    "ppv": ("Aandeel terecht van gesignaleerd", "Positive predictive value"),
    "flagged": ("Gesignaleerd", "Flagged"), "auc": ("AUC", "AUC"),
    "calibration": ("Kalibratie", "Calibration"), "reference": ("Referentie", "Reference"),
    "reference_value": ("Waarde referentie", "Reference value"),
    "ratio": ("Verhouding", "Ratio"), "difference": ("Verschil", "Difference"),
    "outside": ("Buiten grens", "Outside bound"), "reliable": ("Betrouwbaar", "Reliable"),
    "positives": ("Aantal positief", "Positives"), "features": ("Kenmerken", "Features"),
    "rank": ("Rang", "Rank"), "combination": ("Combinatie", "Combination"),
    "order": ("Aantal kenmerken", "Number of factors"), "risk": ("Kans", "Risk"),
    "lift": ("Keer zoveel kans", "Times the risk"),
    "significant": ("Significant", "Significant"),
    "interaction_or": ("Interactie (odds ratio)", "Interaction (odds ratio)"),
    "confirm_share": ("Aandeel bevestigd", "Share confirmed"),
    "confirmed": ("Bevestigd", "Confirmed"), "audit_only": ("Alleen voor controle",
                                                           "Audit only"),
    "name": ("Naam", "Name"), "size": ("Aantal", "Size"),
    "stability_ari": ("Stabiliteit (ARI)", "Stability (ARI)"), "stable": ("Stabiel", "Stable"),
    "kind": ("Soort", "Kind"), "mean": ("Gemiddelde", "Mean"), "delta": ("Verschil", "Delta"),
    "standout": ("Opvallend", "Standout"), "index": ("Kenmerk", "Characteristic"),
    "k": ("Aantal typen", "Number of types"), "log_likelihood": ("Log-likelihood",
                                                                 "Log-likelihood"),
    "n_parameters": ("Aantal parameters", "Parameters"), "bic": ("BIC", "BIC"),
    "aic": ("AIC", "AIC"), "stability": ("Stabiliteit", "Stability"),
    "stability_sd": ("Stabiliteit (sd)", "Stability (sd)"), "in_bracket": ("In bereik",
                                                                            "In bracket"),
    "chosen": ("Gekozen", "Chosen"), "bic_best": ("Beste BIC", "Best BIC"),
    "aic_best": ("Beste AIC", "Best AIC"), "action": ("Actie", "Action"),
    "into_type": ("Naar type", "Into type"), "method": ("Methode", "Method"),
    "ari_with_latent_class": ("Overeenkomst met latente klassen (ARI)",
                              "Agreement with latent classes (ARI)"),
    "traits": ("Kenmerken", "Traits"), "questions": ("Vragen", "Questions"),
    "area": ("Gebied (code)", "Area (code)"), "residents": ("Inwoners", "Residents"),
    "households": ("Huishoudens", "Households"),
    "municipality": ("Gemeente", "Municipality"), "rest": ("Rest", "Rest"),
    "target_households": ("Huishoudens in de doelgroep", "Target group households"),
    "target": ("Doelgroep", "Target group"), "children": ("Kinderen", "Children"),
    "outcome": ("Uitkomst", "Outcome"), "outcome_events": ("Met uitkomst", "With outcome"),
    "pupils": ("Leerlingen", "Pupils"), "schools": ("Scholen", "Schools"),
    "shrunk": ("Geschatte kans (gestabiliseerd)", "Estimate (stabilised)"),
    "high_risk": ("Hoog risico", "High risk"), "year": ("Jaar", "Year"),
    "estimate": ("Schatting", "Estimate"), "outcome_name": ("Uitkomst", "Outcome"),
    # the effect evaluation (issue 15)
    "wijk": ("Wijk (code)", "District (code)"), "rate": ("Aandeel", "Share"),
    "headline": ("Hoofduitkomst", "Headline"),
    "relative": ("Ten opzichte van het niveau", "Relative to the level"),
    "p_cluster": ("p-waarde (geclusterd)", "p-value (clustered)"),
    "ci_cluster_low": ("95%-BI ondergrens (geclusterd)", "95% CI lower (clustered)"),
    "ci_cluster_high": ("95%-BI bovengrens (geclusterd)", "95% CI upper (clustered)"),
    "event_time": ("Jaren sinds de start", "Years since the start"),
    "quantile": ("Kwantiel", "Quantile"), "estimator": ("Schatter", "Estimator"),
    "inference": ("Onzekerheid uit", "Inference"),
    "treated_areas": ("Buurten met de aanpak", "Neighbourhoods with the intervention"),
    "comparison_areas": ("Vergelijkingsbuurten", "Comparison neighbourhoods"),
    "assignments": ("Lotingen", "Assignments"), "distinct": ("Verschillende lotingen",
                                                           "Distinct assignments"),
    "exhaustive": ("Alle lotingen", "Every assignment"),
    "smallest_p": ("Kleinst mogelijke p-waarde", "Smallest possible p-value"),
    "pool_status": ("Genoeg voor een p-waarde", "Enough for a p-value"),
    "alternative": ("Toets", "Alternative"), "alpha": ("Alfa", "Alpha"),
    "pretrend_leads": ("Jaren in de toets vooraf", "Years in the pre-trend test"),
    "pretrend_p": ("p-waarde toets vooraf", "Pre-trend p-value"),
    "pretrend_p_cluster": ("p-waarde toets vooraf (geclusterd)",
                           "Pre-trend p-value (clustered)"),
    "first_year": ("Eerste jaar", "First year"), "last_year": ("Laatste jaar", "Last year"),
    "start": ("Start", "Start"), "mde": ("Kleinste zichtbare effect (procentpunt)",
                                         "Minimum detectable effect (points)"),
    "mde_relative": ("Kleinste zichtbare effect, ten opzichte van het niveau",
                     "Minimum detectable effect, relative"),
    "stage": ("Fase", "Stage"), "unit": ("Telt mee", "Counts"),
    "planned_last_year": ("Gepland laatste jaar", "Planned last year"),
    "baseline": ("Verwacht niveau zonder aanpak", "Expected level without the intervention"),
    "treated_persons": ("Deelnemers", "Participants"),
    "treated_households": ("Gezinnen van deelnemers", "Participants' households"),
    "comparison_persons": ("Anderen in de vergelijking", "Others in the comparison"),
    "started_before": ("Niet meegeteld: begonnen vóór de start",
                       "Not counted: started before the start"),
    "no_year_before": ("Niet meegeteld: geen jaar vóór de eigen start",
                       "Not counted: no year before their start"),
    "partner_rows": ("Rijen in het bestand van de partner", "Rows in the partner's file"),
    "partner_unlinked": ("Rijen zonder sleutel", "Rows without a key"),
}
#: the words of a column whose cells are codes the analyses write in English (``statistic``
#: "share"), by column; a cell not listed stays as it is (a number, a name, a Dutch text)
VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "type": {"numeric": ("getal", "number"), "category": ("categorie", "category"),
             "binary": ("ja/nee", "yes/no"), "count": ("aantal", "count")},
    "kind": {"numeric": ("getal", "number"), "level": ("categorie", "category")},
    "statistic": {"share": ("aandeel", "share"), "mean": ("gemiddelde", "mean")},
    "direction": {"higher": ("hoger", "higher"), "lower": ("lager", "lower"),
                  "similar": ("ongeveer gelijk", "similar")},
    "status": {"chosen": ("gekozen", "chosen"),
               "near_miss": ("net niet gekozen, niet te onderscheiden",
                             "just missed, cannot be told apart"),
               "eligible": ("niet gekozen", "not chosen"),
               "too_few": ("te weinig voor de keuzeregel", "too few for the selection rule"),
               "few_schools": ("te weinig scholen voor de keuzeregel",
                               "too few schools for the selection rule"),
               "hidden": ("niet gerangschikt", "not ranked"), **MATCH_STATUSES},
    "metric": {"selection_rate": ("aandeel gesignaleerd", "selection rate"),
               "tpr": ("aandeel gevonden (TPR)", "true positive rate"),
               "fpr": ("aandeel gesignaleerd zonder de uitkomst (FPR)", "false positive rate"),
               "ppv": ("deel van de gesignaleerden dat terecht is (PPV)", "precision (PPV)"),
               "calibration": ("kalibratie", "calibration"), "auc": ("AUC", "AUC"),
               "auc_cv": ("AUC (kruisvalidatie)", "AUC (cross-validated)"),
               "auc_cv_low": ("AUC, ondergrens", "AUC, lower"),
               "auc_cv_high": ("AUC, bovengrens", "AUC, upper"),
               "auc_cv_se": ("AUC, standaardfout", "AUC, standard error"),
               "auc_apparent": ("AUC op de eigen data", "AUC on the training data"),
               "brier_cv": ("Brier-score (kruisvalidatie)", "Brier score (cross-validated)"),
               "brier_null": ("Brier-score zonder model", "Brier score without a model"),
               "calibration_intercept": ("kalibratie: intercept", "calibration intercept"),
               "calibration_slope": ("kalibratie: helling", "calibration slope"),
               "cv_folds": ("aantal delen kruisvalidatie", "cross-validation folds")},
    "check": {"n": ("aantal in het model", "number in the model"),
              "events": ("aantal met de uitkomst", "number with the outcome"),
              "parameters": ("aantal parameters", "parameters"),
              "residual_dof": ("resterende vrijheidsgraden", "residual degrees of freedom"),
              "min_cell": ("kleinste cel", "smallest cell"),
              "events_per_parameter": ("uitkomsten per parameter", "events per parameter"),
              "converged": ("schatting gelukt", "fit converged"),
              "separation": ("een kenmerk voorspelt de uitkomst volledig", "separation"),
              "separation_terms": ("kenmerken die de uitkomst volledig voorspellen",
                                   "terms with separation"),
              "aliased_terms": ("termen zonder eigen schatting", "aliased terms"),
              "warnings": ("waarschuwingen", "warnings"),
              "not_used": ("niet gebruikt", "not used"),
              "level_not_used": ("categorie niet gebruikt", "level not used")},
    "action": {"merged": ("samengevoegd", "merged"), "withheld": ("niet getoond", "withheld")},
    "method": {"latent_class": ("latente klassen", "latent classes"),
               "gower_pam": ("Gower-afstand met PAM", "Gower distance with PAM"),
               **EFFECT_METHODS},
}
#: the words' version a bundle's manifest records (``EXPORT_WORDS``): 1 gave the words above
#: but the effect evaluation's methods and the match table's statuses, 2 these too. A bundle is
#: checked with the words of its own version: its exports are not rewritten when a later
#: version says more codes in words.
WORDS_VERSION = 2
VALUES_SINCE: dict[tuple[str, str], int] = {
    **{("status", code): 2 for code in MATCH_STATUSES},
    **{("method", code): 2 for code in EFFECT_METHODS}}
SUFFIXES: dict[str, tuple[str, str]] = {
    "nl": ("Nederlands", "Dutch"), "en": ("Engels", "English"),
    "rate": ("aandeel", "share"), "low": ("ondergrens", "lower"), "high": ("bovengrens", "upper"),
    "shrunk": ("gestabiliseerd", "stabilised"), "target": ("doelgroep", "target group"),
    "rest": ("rest", "rest"), "all": ("iedereen", "everyone"),
    "municipality": ("gemeente", "municipality"), "count": ("aantal", "number"),
    "n": ("totaal", "total"), "share": ("aandeel", "share"), "mean": ("gemiddelde", "mean"),
}
WORDS: dict[str, dict[str, str]] = {
    "nl": {"title": "Tabellen van de bundel „{bundle}”", "pilot": "Pilot",
           "made": "Bundel gemaakt", "sheet": "Blad", "table": "Tabel", "file": "Bron in de bundel",
           "rows": "Rijen", "hidden": "Geheimgehouden cellen",
           "labels": "Zo leest u de cellen",
           "small": "{small}: minder dan {min_cell}. Het getal gaat over te weinig mensen en is "
                    "geheimgehouden.",
           "x": "x: geheimgehouden, zodat een geheim getal niet uit de andere getallen terug "
                "te rekenen is. Een aantal met x is {min_cell} of meer.",
           "dash": f"{NOT_APPLICABLE}: niet van toepassing, niet berekend, of geheimgehouden "
                   "zonder dat er iets over gezegd kan worden.",
           "round": "Getallen zijn afgerond zoals gepubliceerd: aantallen hele getallen, "
                    "andere getallen op de decimalen die de regels van de tabel noemen, anders "
                    f"op {DECIMALS} decimalen. Aandelen zijn fracties (0,25 = 25%). De exacte "
                    "waarden staan in het parquet-bestand van elke tabel.",
           "rules": "Regels", "rule_text": "Elke tabel heeft de controle op onthulling "
                    "doorstaan (minimaal {min_cell} eenheden per cel, ook na aftrekken; "
                    "geheimhouding zo dat geen geheim getal terug te rekenen is). "
                    "Het commando smartstart check leest deze werkmap opnieuw en vergelijkt "
                    "elke cel met de gepubliceerde tabel.",
           "names": "Het blad „Namen” geeft de naam bij elke code (kenmerken, wijken).",
           "variable": "Kenmerk (code)", "code": "Waarde (code)", "name": "Naam",
           "name_other": "Naam (Engels)"},
    "en": {"title": "Tables of the bundle “{bundle}”", "pilot": "Pilot",
           "made": "Bundle made", "sheet": "Sheet", "table": "Table",
           "file": "Source in the bundle",
           "rows": "Rows", "hidden": "Withheld cells",
           "labels": "How to read the cells",
           "small": "{small}: fewer than {min_cell}. The number is about too few people and is "
                    "withheld.",
           "x": "x: withheld, so that a withheld number cannot be worked out from the other "
                "numbers. A count shown as x is {min_cell} or more.",
           "dash": f"{NOT_APPLICABLE}: not applicable, not computed, or withheld without "
                   "anything to say about it.",
           "round": "Numbers are rounded as published: counts to whole numbers, other numbers "
                    "to the decimals the table's rules state, otherwise to "
                    f"{DECIMALS} decimals. Shares are fractions (0.25 = 25%). The exact "
                    "values are in each table's parquet file.",
           "rules": "Rules", "rule_text": "Every table passed disclosure control (at least "
                    "{min_cell} units per cell, also after subtraction; cells withheld so "
                    "that no withheld number can be worked out). The command smartstart check "
                    "reads this workbook again and compares every cell with the published table.",
           "names": "The sheet “Names” gives the name of every code (characteristics, "
                    "neighbourhoods).",
           "cells": "Headers and this sheet are in English. Texts inside the tables are as "
                    "the bundle holds them: a column whose header ends in “Dutch” is in Dutch, "
                    "and some tables hold only Dutch texts (the steps of the linking, the "
                    "partners' statuses).",
           "variable": "Characteristic (code)", "code": "Value (code)", "name": "Name",
           "name_other": "Name (Dutch)"},
}


def header(column: object, labels: Mapping[str, tuple[str, str]], lang: str = "nl") -> str:
    """A column's name in words: the table's own word, a variable's label, or made of both
    and a suffix (``young_mother_rate`` -> "Jonge moeder ..., aandeel")."""
    i = LANGS.index(lang)
    name = str(column)
    if name in HEADERS:
        return HEADERS[name][i]
    if name in labels:
        return labels[name][i]
    base, _, tail = name.rpartition("_")
    if base and tail in SUFFIXES:
        return f"{header(base, labels, lang)}, {SUFFIXES[tail][i]}"
    return name.replace("_", " ")
