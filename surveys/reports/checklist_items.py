"""The items of three reporting guidelines for Delphi and consensus studies, as (id, section, item, topic).

``topic`` names what this report can say about the item (see :mod:`.checklist`); ``None`` means
only the authors can state it (recruitment criteria, piloting, funding and the like).

Sources and how the wording was obtained (no item is invented; wording is paraphrased, not quoted):

- **CREDES**: Jünger S, Payne SA, Brine J, Radbruch L, Brearley SG. Guidance on Conducting and
  REporting DElphi Studies (CREDES) in palliative care: recommendations based on a methodological
  systematic review. Palliat Med 2017;31(8):684–706. The reporting items the methods appendix has
  covered since the first report (:mod:`.methods`), in its words.
- **ACCORD**: Gattrell WT, Logullo P, van Zuuren EJ, et al. ACCORD (ACcurate COnsensus Reporting
  Document): a reporting guideline for consensus methods in biomedicine developed via a modified
  Delphi. PLoS Med 2024;21(1):e1004326. 35 items: title (T1), introduction (I1–I3), methods
  (M1–M21), results (R1–R5), discussion (D1–D2), other information (O1–O3). Ids, sections and
  content follow the editable checklist the ACCORD group publishes (ismpp.org/accord, "ACCORD
  checklist editable.docx"), read from a table extraction of it; each item is paraphrased.
- **DELPHISTAR**: Niederberger M, Schifano J, Deckert S, et al. Delphi studies in social and health
  sciences — Recommendations for an interdisciplinary standardized reporting (DELPHISTAR). Results
  of a Delphi study. PLoS One 2024;19(8):e0304651. 38 items: title and abstract (1–3), context
  (4–10), method (11–30), results (31–34), discussion (35–38). Numbering and sections follow the
  published checklist (RG_DELPHISTAR_engl, EQUATOR Network); each item is paraphrased from its
  topic and the worked example the checklist gives for it, so the wording is ours, not the
  authors'. Check the published checklist before citing an item's exact words.
"""

from __future__ import annotations

Item = tuple[str, str, str, str | None]

CREDES: tuple[Item, ...] = (
    ("1", "Panel", "Who was on the panel: its composition.", "composition"),
    ("2", "Panel", "Response rates in every round.", "response"),
    ("3", "Consensus", "The definition of consensus, and when it was fixed.", "rule"),
    ("4", "Process", "The stopping rule and the number of rounds.", "rounds"),
    ("5", "Process", "How the items changed between rounds.", "changes"),
    ("6", "Process", "The feedback given to the experts between rounds.", "feedback"),
    ("7", "Process", "How anonymity was kept.", "anonymity"),
)

ACCORD: tuple[Item, ...] = (
    (
        "T1",
        "Title",
        "Identify the report as a consensus exercise and name the method used (e.g. Delphi, nominal group technique).",
        "title",
    ),
    ("I1", "Introduction", "Explain why a consensus exercise was chosen over other approaches.", None),
    ("I2", "Introduction", "State the aim of the exercise, its intended audience and its geographical scope.", "aim"),
    (
        "I3",
        "Introduction",
        "If it updates an existing document, say why an update is needed and cite the original.",
        "source",
    ),
    ("M1", "Registration", "State whether and where the study was registered, with the date of registration.", None),
    (
        "M2",
        "Selection of steering committee and panellists",
        "Describe who led the project (chair, co-chairs, "
        "steering committee), how they were chosen, and any subgroups for individual steps.",
        None,
    ),
    (
        "M3",
        "Selection of steering committee and panellists",
        "Explain the criteria for including panellists, the rationale for their number, and who selected them.",
        "composition",
    ),
    (
        "M4",
        "Selection of steering committee and panellists",
        "Describe how panellists were recruited: channels, "
        "number of invitations, central oversight or suggestions by panellists.",
        "invited",
    ),
    (
        "M5",
        "Selection of steering committee and panellists",
        "Describe the role of members of the public, patients or carers in each step.",
        None,
    ),
    (
        "M6",
        "Preparatory research",
        "Describe the preparatory research (e.g. literature review, interviews, surveys).",
        "source",
    ),
    ("M7", "Preparatory research", "For a literature review, give the details PRISMA and PRISMA-S ask for.", None),
    (
        "M8",
        "Preparatory research",
        "Describe how existing evidence was summarised and whether it was given to the panellists.",
        None,
    ),
    (
        "M9",
        "Assessing consensus",
        "Describe the consensus method, and any modification of it with its reason.",
        "method",
    ),
    (
        "M10",
        "Assessing consensus",
        "Describe the questionnaire or list of statements (ideally as supplementary material).",
        "items",
    ),
    (
        "M11",
        "Assessing consensus",
        "Describe the number of steps (e.g. Delphi rounds, meetings) and what each involved.",
        "rounds",
    ),
    ("M12", "Assessing consensus", "State the definition of consensus and the rationale for it.", "rule"),
    (
        "M13",
        "Assessing consensus",
        "State whether items that met the definition of consensus were included in later rounds.",
        "retired",
    ),
    (
        "M14",
        "Assessing consensus",
        "For each step, describe how responses were collected, in a group or individually.",
        "collection",
    ),
    (
        "M15",
        "Assessing consensus",
        "Describe the quantitative analysis and any qualitative analysis of free-text responses.",
        "analysis",
    ),
    (
        "M16",
        "Assessing consensus",
        "Describe any pilot of the study materials (how many, who, what changed, whether "
        "their responses counted), or state that none was done.",
        None,
    ),
    (
        "M17",
        "Assessing consensus",
        "State whether feedback was quantitative and/or qualitative, and whether it was anonymised.",
        "feedback",
    ),
    (
        "M18",
        "Assessing consensus",
        "State whether anonymity was planned, where and to whom it applied, and how it was ensured.",
        "anonymity",
    ),
    (
        "M19",
        "Assessing consensus",
        "Describe the roles of those managing the exercise, e.g. whether they also voted.",
        None,
    ),
    (
        "M20",
        "Participation",
        "Describe what was done to encourage participation, e.g. reminders or reimbursement.",
        "reminders",
    ),
    (
        "M21",
        "Participation",
        "Describe the languages used and whether translations or plain-language summaries were available.",
        None,
    ),
    ("R1", "Results", "State when the exercise was conducted: its start and the time each step took.", "dates"),
    (
        "R2",
        "Results",
        "Report any deviation from the planned process (e.g. panellists added, number of steps, "
        "stopping criteria) and when it happened.",
        "deviations",
    ),
    (
        "R3",
        "Results",
        "For each step, report the number of panellists, the response rate and their relevant characteristics.",
        "response",
    ),
    (
        "R4",
        "Results",
        "Report the final outcome of the consensus process, quantitatively and/or qualitatively.",
        "outcome",
    ),
    ("R5", "Results", "List the items modified or removed during the process, why and when.", "changes"),
    (
        "D1",
        "Discussion",
        "Discuss what may have influenced the decisions (e.g. response rates, representativeness, "
        "feedback biasing responses).",
        "influences",
    ),
    ("D2", "Discussion", "Discuss whether the results agree with earlier literature, and why they may not.", None),
    ("O1", "Other information", "List any endorsing organisations and their role.", None),
    (
        "O2",
        "Other information",
        "State potential conflicts of interest of those directing the study and of "
        "panellists, and how they were managed.",
        None,
    ),
    ("O3", "Other information", "Describe funding and any role of the funder in the study.", None),
)

DELPHISTAR: tuple[Item, ...] = (
    ("1", "Title and abstract", "The title identifies the study as a Delphi study.", "title"),
    ("2", "Title and abstract", "The abstract names the Delphi technique as the method.", None),
    ("3", "Title and abstract", "A structured abstract (e.g. background, method, results, discussion).", None),
    ("4", "Context", "The sources of funding.", None),
    ("5", "Context", "Who conducted the study (e.g. the team's disciplines).", None),
    ("6", "Context", "Any methodological consulting.", None),
    ("7", "Context", "The project's background (e.g. the larger study it belongs to).", "source"),
    ("8", "Context", "Where the study protocol can be found.", None),
    ("9", "Context", "Why the Delphi technique suits the research question.", None),
    ("10", "Context", "The aim of the Delphi study.", "aim"),
    (
        "11",
        "Method",
        "The disciplines, spheres of experience and perspectives the experts represent, and why.",
        "composition",
    ),
    ("12", "Method", "Perspectives or expertise that are missing or deliberately not included.", "pooled"),
    ("13", "Method", "The definition of an expert used.", None),
    ("14", "Method", "The Delphi variant used and any modification of it.", "method"),
    ("15", "Method", "Rules set for ending the Delphi process (e.g. if participation falls).", "rounds"),
    ("16", "Method", "Who was invited to each round (e.g. everyone who completed the previous one).", "invited"),
    ("17", "Method", "How the experts were identified.", None),
    ("18", "Method", "How the experts were informed about the study and invited.", "reminders"),
    ("19", "Method", "How the questionnaire was developed (e.g. from systematic reviews).", "source"),
    ("20", "Method", "The content and structure of the questionnaire.", "items"),
    ("21", "Method", "The number of Delphi rounds.", "rounds"),
    ("22", "Method", "What each round was for (e.g. exploring, then rating).", "changes"),
    ("23", "Method", "Whether the number of rounds was set in advance.", "rounds"),
    ("24", "Method", "What feedback the experts received (e.g. statistics, a summary of open answers).", "feedback"),
    ("25", "Method", "Which statistics the feedback showed.", "feedback"),
    ("26", "Method", "Whether feedback was given for specific groups of experts or across all of them.", "feedback"),
    ("27", "Method", "How dissent was handled (e.g. items without consensus asked again).", "changes"),
    ("28", "Method", "How the quantitative and the open answers were analysed.", "analysis"),
    ("29", "Method", "The definition and measurement of consensus.", "rule"),
    ("30", "Method", "Whether and how groups of experts were analysed or weighted separately.", "groups"),
    ("31", "Results", "The Delphi process illustrated (e.g. in a flow chart).", "flow"),
    (
        "32",
        "Results",
        "Special features of the process (e.g. deviations from the plan, outside events that may have "
        "influenced answers).",
        "deviations",
    ),
    ("33", "Results", "The number of experts in each round and the response rates.", "response"),
    ("34", "Results", "The results of each round (e.g. the share agreeing per round).", "outcome"),
    ("35", "Discussion", "The main findings.", "headline"),
    ("36", "Discussion", "The validity of the results (e.g. whether they transfer to other settings).", None),
    (
        "37",
        "Discussion",
        "The rigour of the procedure (e.g. how open answers were analysed and checked).",
        "influences",
    ),
    ("38", "Discussion", "Limitations of the study (e.g. the composition of the panel).", "limitations"),
)

GUIDELINES: tuple[tuple[str, str, tuple[Item, ...]], ...] = (
    ("CREDES", "Jünger et al., Palliat Med 2017", CREDES),
    ("ACCORD", "Gattrell et al., PLoS Med 2024", ACCORD),
    ("DELPHISTAR", "Niederberger et al., PLoS One 2024", DELPHISTAR),
)
