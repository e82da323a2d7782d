"""Model card in Dutch and English with the fields of the Dutch public algorithm register
(purpose, data, method, performance, fairness, human oversight, limitations, legal basis),
filled in from the risk model and the fairness audit. Group-level numbers only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from smartstart.analyses._common import Lang, factor_info, lower_first
from smartstart.analyses._fairness import AGE_BAND, AGE_BANDS, FairnessResult, attribute_label
from smartstart.analyses._risk import RiskResult

TO_FILL_NL = "In te vullen door de verantwoordelijke organisatie."
TO_FILL_EN = "To be filled in by the responsible organisation."


@dataclass(frozen=True)
class CardContext:
    """What the results do not know: names, place and time of the study."""

    #: the outcome in words (``features/outcomes.yaml``)
    outcome_nl: str = "uithuisplaatsing of ondertoezichtstelling"
    outcome_en: str = "out-of-home placement or supervision order"
    #: the outcome in a heading ("Risicomodel <short>")
    outcome_short_nl: str = "uithuisplaatsing of OTS"
    outcome_short_en: str = "placement or supervision order"
    #: whose rows the model holds, as a plural noun phrase (``features/populations.yaml``)
    population_nl: str = "kinderen jonger dan 18"
    population_en: str = "children under 18"
    #: who is responsible (the pilot's organisation, programme and contact); None: to be
    #: filled in (never a default organisation)
    organisation: str | None = None
    programme: str | None = None
    contact: str | None = None
    gemeente: str | None = None
    peildatum: str | None = None
    window_years: int = 3
    legal_basis_nl: str = TO_FILL_NL
    legal_basis_en: str = TO_FILL_EN
    #: the disclosure minimum: a count of children below it is not written in the card
    min_cell: int = 10


@dataclass(frozen=True)
class CardField:
    key: str
    title_nl: str
    title_en: str
    nl: str
    en: str


@dataclass(frozen=True)
class ModelCard:
    name_nl: str
    name_en: str
    organisation: str | None
    fields: tuple[CardField, ...]
    #: audit attributes used as predictors at explicit request (normally empty)
    sensitive_predictors: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([f.__dict__ for f in self.fields])

    def text(self, key: str, lang: Lang = "nl") -> str:
        return getattr(next(f for f in self.fields if f.key == key), lang)

    def to_markdown(self, lang: Lang = "nl") -> str:
        name = self.name_nl if lang == "nl" else self.name_en
        who = self.organisation or (TO_FILL_NL if lang == "nl" else TO_FILL_EN)
        parts = [f"# {name}", "", f"*{who}*", ""]
        for f in self.fields:
            parts += [f"## {f.title_nl if lang == 'nl' else f.title_en}", "",
                      getattr(f, lang), ""]
        return "\n".join(parts)


def model_card(risk: RiskResult, fairness: FairnessResult | None = None,
               context: CardContext | None = None) -> ModelCard:
    """Fill the register's fields from the results (texts in Dutch and English)."""
    ctx = context or CardContext()
    fields = (_purpose(ctx), _data(risk, ctx), _method(risk), _performance(risk),
              _fairness(fairness), _oversight(), _limitations(risk, fairness),
              CardField("legal_basis", "Wettelijke basis", "Legal basis", ctx.legal_basis_nl,
                        ctx.legal_basis_en))
    who = " · ".join(p for p in (ctx.organisation, ctx.programme,
                                 f"contact: {ctx.contact}" if ctx.contact else None) if p)
    return ModelCard(f"Risicomodel {ctx.outcome_short_nl}",
                     f"Risk model of {ctx.outcome_short_en}",
                     who or None, fields, risk.sensitive_predictors)


def _n(x: float, lang: Lang, digits: int = 2) -> str:
    text = f"{x:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",") if lang == "nl" else text


def _purpose(ctx: CardContext) -> CardField:
    nl = ("Inzicht op groepsniveau in welke combinaties van omstandigheden bij "
          f"{ctx.population_nl} samengaan met {ctx.outcome_nl} binnen {ctx.window_years} "
          "jaar, om samen met professionals, ouders en bewoners preventie te ontwerpen die aan "
          "iedereen wordt aangeboden. Het model wijst geen personen of gezinnen aan.")
    en = ("Group-level insight into which combinations of circumstances of "
          f"{ctx.population_en} go with {ctx.outcome_en} within {ctx.window_years} years, "
          "to design "
          "prevention with professionals, parents and residents that is offered to everyone. "
          "The model does not single out persons or families.")
    return CardField("purpose", "Doel en impact", "Purpose and impact", nl, en)


def _data(risk: RiskResult, ctx: CardContext) -> CardField:
    c = risk.checks
    several = ctx.gemeente is not None and "," in ctx.gemeente
    where_nl = f" in gemeente{'n' if several else ''} {ctx.gemeente}" if ctx.gemeente else ""
    when = f" ({ctx.peildatum})" if ctx.peildatum else ""
    nl = (f"Gepseudonimiseerde microdata van CBS (Remote Access): {_n(c.n, 'nl', 0)} "
          f"{ctx.population_nl}{where_nl} op de peildatum{when}, waarvan "
          f"{_n(c.events, 'nl', 0)} met de uitkomst. "
          f"{_few(risk.n_dropped, ctx.min_cell, 'nl').capitalize()} van hen "
          "vielen af door ontbrekende gegevens. "
          "Factoren: " + ", ".join(_label(p, "nl") for p in risk.used_spec.predictors) + "."
          + _not_used(risk, "nl"))
    where_en = (f" in municipalit{'ies' if several else 'y'} {ctx.gemeente}"
                if ctx.gemeente else "")
    en = (f"Pseudonymised CBS microdata (Remote Access): {_n(c.n, 'en', 0)} "
          f"{ctx.population_en}{where_en} on the reference date{when}, "
          f"{_n(c.events, 'en', 0)} with the outcome. "
          f"{_few(risk.n_dropped, ctx.min_cell, 'en').capitalize()} of them were left out "
          "for missing data. Factors: "
          + ", ".join(_label(p, "en") for p in risk.used_spec.predictors) + "."
          + _not_used(risk, "en"))
    return CardField("data", "Gebruikte data", "Data", nl, en)


def _not_used(risk: RiskResult, lang: Lang) -> str:
    """The predictors left out here and why, in plain words (no count but a zero)."""
    if not risk.notes:
        return ""
    head = (" Aangepast aan deze gemeente: " if lang == "nl"
            else " Adapted to this municipality: ")
    return head + "; ".join(f"{n.label(lang)}: {n.text(lang)}" for n in risk.notes) + "."


def _few(count: int, minimum: int, lang: Lang) -> str:
    """A count of children for the card's text; one below the disclosure minimum is not given."""
    if 0 < count < minimum:
        return f"minder dan {minimum}" if lang == "nl" else f"fewer than {minimum}"
    return _n(count, lang, 0)


def _label(name: str, lang: Lang) -> str:
    return lower_first(getattr(factor_info(name, "child"), lang))


def _method(risk: RiskResult) -> CardField:
    sensitive = risk.sensitive_predictors
    nl = ("Logistische regressie (statsmodels) met odds ratio's en 95%-betrouwbaarheidsintervallen;"
          f" onderscheidend vermogen met {risk.spec.cv_folds}-voudige kruisvalidatie. ")
    en = ("Logistic regression (statsmodels) with odds ratios and 95 % confidence intervals; "
          f"discrimination by {risk.spec.cv_folds}-fold cross-validation. ")
    if sensitive:
        names_nl = ", ".join(_label(p, "nl") for p in sensitive)
        names_en = ", ".join(_label(p, "en") for p in sensitive)
        nl += (f"Op uitdrukkelijk verzoek (study.outcome.allow_sensitive) zijn gevoelige "
               f"kenmerken als voorspeller gebruikt: {names_nl}. Deze keuze is vastgelegd en "
               "moet verantwoord worden.")
        en += ("At explicit request (study.outcome.allow_sensitive), sensitive attributes were "
               f"used as predictors: {names_en}. "
               "This choice is recorded and must be accounted for.")
    else:
        nl += ("Migratieachtergrond en geslacht zijn geen voorspellers; ze worden alleen "
               "gebruikt om het model te toetsen op ongelijke uitkomsten.")
        en += ("Migration background and sex are not predictors; they are only used to audit "
               "the model for unequal performance.")
    return CardField("method", "Technische werking", "Method", nl, en)


def _performance(risk: RiskResult) -> CardField:
    p = risk.performance
    if p is None or not risk.ok:
        nl = "Het model voldeed niet aan de controles (convergentie, scheiding, identificatie)."
        en = "The model did not pass its checks (convergence, separation, identification)."
        return CardField("performance", "Prestaties", "Performance", nl, en)
    auc = {lang: (f"{_n(p.auc_cv, lang)} ({_n(p.auc_cv_low, lang)}-{_n(p.auc_cv_high, lang)})")
           for lang in ("nl", "en")}
    nl = (f"Gekruisvalideerde AUC {auc['nl']}; Brier-score {_n(p.brier_cv, 'nl', 3)} "
          f"(zonder model {_n(p.brier_null, 'nl', 3)}); kalibratiehelling "
          f"{_n(p.calibration_slope, 'nl')}. Ter vergelijking: een Nederlands gestructureerd "
          "instrument AUC 0,73-0,78; gemiddelde van 27 instrumenten 0,68.")
    en = (f"Cross-validated AUC {auc['en']}; Brier score {_n(p.brier_cv, 'en', 3)} "
          f"(no model {_n(p.brier_null, 'en', 3)}); calibration slope "
          f"{_n(p.calibration_slope, 'en')}. For scale: a Dutch structured instrument AUC "
          ".73-.78; mean of 27 instruments .68.")
    return CardField("performance", "Prestaties", "Performance", nl, en)


def _fairness(fairness: FairnessResult | None) -> CardField:
    if fairness is None:
        return CardField("fairness", "Eerlijkheid en bias", "Fairness and bias",
                         "Geen biasanalyse uitgevoerd.", "No bias analysis was done.")
    found = fairness.bias.detected
    proxies = fairness.proxies[fairness.proxies["flagged"]]

    def names(column: pd.Series, lang: Lang) -> str:
        return ", ".join(sorted(attribute_label(a, lang) for a in column.unique())) or "-"

    attrs, prox = names(found["attribute"], "nl"), names(proxies["attribute"], "nl")
    nl = (f"Drie stappen. {_groups(fairness, 'nl')} Signaleren: {len(found)} verhoudingen "
          f"buiten 0,8-1,25 ten opzichte van een referentiegroep (kenmerken: {attrs}); "
          f"mogelijke proxy's van uitgesloten kenmerken in de voorspellers: {prox}. "
          f"Rechtvaardigen: {fairness.bias.justification_nl} "
          f"Aanvaarden: {fairness.bias.acceptance_nl}")
    attrs, prox = names(found["attribute"], "en"), names(proxies["attribute"], "en")
    en = (f"Three steps. {_groups(fairness, 'en')} Detect: {len(found)} ratios outside "
          f"0.8-1.25 against a reference group (attributes: {attrs}); possible proxies of "
          f"excluded attributes in the predictors: {prox}. "
          f"Justify: {fairness.bias.justification_en} Accept: {fairness.bias.acceptance_en}")
    return CardField("fairness", "Eerlijkheid en bias", "Fairness and bias", nl, en)


def _groups(fairness: FairnessResult, lang: Lang) -> str:
    """The groups of children the audit compared, in words (the age bands named)."""
    audited = set(fairness.metrics["attribute"])
    parts = []
    for attribute in (a for a in fairness.spec.groups if a in audited):
        name = attribute_label(attribute, lang)
        if attribute == AGE_BAND:
            bands = [nl if lang == "nl" else en for _, _, _, nl, en in AGE_BANDS]
            name += f" ({', '.join(bands)})"
        parts.append(name)
    if not parts:
        return ("Er waren geen groepen om te vergelijken." if lang == "nl"
                else "There were no groups to compare.")
    joined = (", ".join(parts[:-1]) + (" en " if lang == "nl" else " and ") + parts[-1]
              if len(parts) > 1 else parts[0])
    if lang == "nl":
        return (f"Getoetste groepen van kinderen: {joined}. Dit zijn kenmerken van personen, "
                "geen gebieden: waar problemen te verwachten zijn, beantwoordt de "
                "gebiedsanalyse.")
    return (f"Groups of children audited: {joined}. These are characteristics of persons, not "
            "areas: where problems are to be expected is for the areas analysis.")


def _oversight() -> CardField:
    nl = ("Alleen uitkomsten op groepsniveau verlaten de beveiligde omgeving, na controle op "
          "onthulling; individuele risicoscores worden niet bewaard of gedeeld. Professionals, "
          "ouders en bewoners duiden de uitkomsten; het projectteam beslist over interventies, "
          "die aan iedereen worden aangeboden zonder mensen als kwetsbaar te labelen.")
    en = ("Only group-level results leave the secure environment, after disclosure control; "
          "individual risk scores are neither kept nor shared. Professionals, parents and "
          "residents interpret the results; the project team decides on interventions, offered "
          "to everyone without labelling people as vulnerable.")
    return CardField("human_oversight", "Menselijke tussenkomst", "Human oversight", nl, en)


def _limitations(risk: RiskResult, fairness: FairnessResult | None) -> CardField:
    c = risk.checks
    nl = ("Samenhang, geen oorzaak: de factoren zijn registraties op de peildatum. "
          f"{_n(c.events_per_parameter, 'nl', 1)} uitkomsten per parameter; kleine groepen "
          "geven brede intervallen. Registraties missen wat niet bij instanties bekend is.")
    en = ("Association, not cause: the factors are registrations on the reference date. "
          f"{_n(c.events_per_parameter, 'en', 1)} events per parameter; small groups give wide "
          "intervals. Registers miss what agencies do not know.")
    if not risk.ok:
        nl += " Het model voldeed niet aan de controles en is niet als model te rapporteren."
        en += " The model failed its checks and must not be reported as a model."
    if fairness is None:
        nl += " Niet getoetst op ongelijke uitkomsten."
        en += " Not audited for unequal performance."
    return CardField("limitations", "Beperkingen", "Limitations", nl, en)
