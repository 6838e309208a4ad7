# ruff: noqa: E501
# (one rationale per line reads better than wrapped sentences)
"""Hand-written rationales with known themes, for the argument-theme tests.

Each is ``(theme, side, text)``: what an expert might write under the item "Russia should recognise
the Taliban government". Three themes per language, eight rationales each, worded differently (not
one keyword repeated), on both sides, the way a real panel writes; "recognition" and "Taliban" run
through all three themes, as they would.
"""

from __future__ import annotations

ENGLISH = [
    (
        "security",
        "agree",
        "Recognition gives Moscow leverage to press the Taliban against ISIS-K terrorists, who threaten the security of Central Asia and Russia.",
    ),
    (
        "security",
        "agree",
        "The Crocus City Hall attack proved that terrorist networks based in Afghanistan are a direct threat to Russian security.",
    ),
    (
        "security",
        "agree",
        "Cooperating with the Taliban on counter-terrorism is safer than leaving the Tajik border exposed to militants.",
    ),
    (
        "security",
        "disagree",
        "The Taliban still shelter militant and terrorist groups; recognising them will not make the region more secure.",
    ),
    (
        "security",
        "agree",
        "Joint security work with Kabul can curb drug trafficking and stop militants crossing the borders into Central Asia.",
    ),
    (
        "security",
        "agree",
        "Terrorist groups exploit ungoverned spaces; a recognised government is better placed to secure its own borders.",
    ),
    (
        "security",
        "neutral",
        "Intelligence sharing against terrorism needs no formal recognition; the security services already talk informally.",
    ),
    (
        "security",
        "disagree",
        "Ties to al-Qaeda make the Taliban an unreliable partner for any counter-terrorist or security effort.",
    ),
    (
        "economy",
        "agree",
        "Recognition opens trade corridors through Afghanistan to South Asian markets for Russian exports.",
    ),
    (
        "economy",
        "agree",
        "Russian companies want to invest in Afghan mineral deposits, and investment needs legal certainty.",
    ),
    (
        "economy",
        "disagree",
        "The economic gains are small: the Afghan market is poor and trade volumes will stay tiny.",
    ),
    ("economy", "neutral", "Banking sanctions make trade and payments with Kabul hard, whatever the economic case."),
    (
        "economy",
        "agree",
        "A trans-Afghan railway and gas pipeline need a recognised partner to attract investors and trade.",
    ),
    (
        "economy",
        "agree",
        "Exports of wheat, oil and fuel to the Afghan market are growing; recognition would formalise this trade.",
    ),
    (
        "economy",
        "disagree",
        "Investors will stay away while the Afghan economy depends on aid and the currency is unstable.",
    ),
    ("economy", "agree", "Economic ties with Kabul could give Russian exporters a foothold in regional markets."),
    (
        "rights",
        "disagree",
        "The Taliban ban girls from secondary school; recognising them rewards violations of women's rights.",
    ),
    (
        "rights",
        "disagree",
        "A government that took power by force and holds no elections lacks legitimacy and tramples basic rights.",
    ),
    ("rights", "neutral", "Recognition should be conditional on an inclusive government and respect for human rights."),
    (
        "rights",
        "disagree",
        "Recognising a regime that bars women from work tells the world that human rights do not matter to Russia.",
    ),
    (
        "rights",
        "agree",
        "The Taliban control the territory, and legitimacy in international law follows effective control, whatever their record on rights.",
    ),
    (
        "rights",
        "disagree",
        "Until minority rights and women's rights are guaranteed, the regime's legitimacy remains contested.",
    ),
    (
        "rights",
        "neutral",
        "Engagement may do more for the rights of Afghan women than isolation, but formal recognition is premature.",
    ),
    (
        "rights",
        "disagree",
        "The UN has not seated the Taliban; recognising them alone undermines the legitimacy of that decision and of human rights norms.",
    ),
]

RUSSIAN = [
    (
        "security",
        "agree",
        "Признание талибов поможет Москве добиваться от них борьбы с террористами ИГИЛ-Хорасан, которые угрожают безопасности России.",
    ),
    (
        "security",
        "agree",
        "Теракт в «Крокус Сити Холле» показал, что террористические сети в Афганистане прямо угрожают нашей безопасности.",
    ),
    (
        "security",
        "agree",
        "Сотрудничество с талибами в борьбе с терроризмом надёжнее, чем оставлять таджикскую границу открытой для боевиков.",
    ),
    (
        "security",
        "disagree",
        "Талибы по-прежнему укрывают боевиков и террористов, и признание не сделает регион безопаснее.",
    ),
    (
        "security",
        "agree",
        "Совместная работа по безопасности позволит сократить наркотрафик и остановить боевиков на границах Центральной Азии.",
    ),
    (
        "security",
        "agree",
        "Террористы пользуются неконтролируемыми территориями; признанное правительство лучше охраняет свои границы от боевиков.",
    ),
    (
        "security",
        "neutral",
        "Обмен разведданными о террористах возможен и без официального признания, спецслужбы безопасности уже общаются.",
    ),
    (
        "security",
        "disagree",
        "Связи с «Аль-Каидой» делают талибов ненадёжным партнёром в антитеррористической работе и в вопросах безопасности.",
    ),
    (
        "economy",
        "agree",
        "Признание откроет торговые коридоры через Афганистан к рынкам Южной Азии для российского экспорта.",
    ),
    (
        "economy",
        "agree",
        "Российские компании хотят инвестировать в афганские месторождения, а инвестициям нужна правовая определённость.",
    ),
    (
        "economy",
        "disagree",
        "Экономическая выгода невелика: афганский рынок беден, объёмы торговли останутся мизерными.",
    ),
    (
        "economy",
        "neutral",
        "Банковские санкции затрудняют торговлю и платежи с Кабулом, каким бы ни был экономический расчёт.",
    ),
    (
        "economy",
        "agree",
        "Трансафганской железной дороге и газопроводу нужен признанный партнёр, чтобы привлечь инвесторов и торговлю.",
    ),
    (
        "economy",
        "agree",
        "Экспорт пшеницы, нефти и топлива на афганский рынок уже растёт; признание лишь оформит эту торговлю.",
    ),
    (
        "economy",
        "disagree",
        "Инвесторы не придут, пока афганская экономика держится на гуманитарной помощи, а валюта нестабильна.",
    ),
    ("economy", "agree", "Экономические связи с Кабулом дадут российским экспортёрам выход на региональные рынки."),
    (
        "rights",
        "disagree",
        "Талибы запретили девочкам учиться в старших классах; признание поощряет нарушение прав женщин.",
    ),
    (
        "rights",
        "disagree",
        "Правительство, пришедшее к власти силой и не проводящее выборов, лишено легитимности и попирает основные права.",
    ),
    (
        "rights",
        "neutral",
        "Признание должно зависеть от создания инклюзивного правительства и соблюдения прав человека.",
    ),
    (
        "rights",
        "disagree",
        "Признавая режим, который запрещает женщинам работать, Россия показывает, что права человека ничего не значат.",
    ),
    (
        "rights",
        "agree",
        "Талибы контролируют территорию, а легитимность в международном праве следует за эффективным контролем, каким бы ни было их отношение к правам.",
    ),
    (
        "rights",
        "disagree",
        "Пока права меньшинств и права женщин не гарантированы, легитимность режима остаётся спорной.",
    ),
    (
        "rights",
        "neutral",
        "Диалог может дать афганским женщинам больше прав, чем изоляция, но официальное признание преждевременно.",
    ),
    (
        "rights",
        "disagree",
        "ООН не предоставила талибам место; одностороннее признание подрывает легитимность этого решения и нормы прав человека.",
    ),
]
