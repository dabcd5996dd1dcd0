"""The built-in floor of the safety screen: words and rules that live in code.

They are recognised even when the catalogue is missing, broken or a safety intent is
gutted. bot/safety.py compiles them; bot/safety_rules_more.py holds the rules for the
kinds of harm added later (abuse at home, sexual harm, hurting others, carrying a weapon,
running away) and the emoji rules.
"""

from __future__ import annotations

# Words the floor must understand without the catalogue's lexicon (DOMAIN.md section 5).
FLOOR_LEXICON: dict[str, str] = {
    "shank": "knife", "shanks": "knives", "shanked": "stabbed", "jook": "knife",
    "jooked": "stabbed", "jookd": "stabbed", "juked": "stabbed", "blade": "knife",
    "blades": "knives", "bladed": "stabbed", "wetted": "stabbed", "wet up": "stabbed",
    "wet him": "stab him", "wet him up": "stab him", "got dipped": "got stabbed",
    "been dipped": "been stabbed", "get dipped": "get stabbed", "bored up": "stabbed",
    "cheffed": "stabbed", "cheffed up": "stabbed", "chinged": "stabbed",
    "chinged up": "stabbed", "skeng": "weapon", "kms": "kill myself", "kys": "kill yourself",
    "unalive": "kill", "unalived": "killed", "unaliving": "killing", "murk": "kill",
    "murked": "killed", "merk": "kill", "merked": "killed", "murkd": "killed",
    "going country": "county lines", "gone country": "county lines",
    "went country": "county lines", "going ot": "county lines", "gone ot": "county lines",
    "went ot": "county lines", "cunch": "county lines", "on tick": "in debt",
    "stabed": "stabbed", "stabd": "stabbed", "stabbd": "stabbed", "sucide": "suicide",
    "suicde": "suicide", "suiside": "suicide", "sewerslide": "suicide",
    "suicidel": "suicidal", "sucidal": "suicidal", "ded": "dead", "bleding": "bleeding",
    "bleedin": "bleeding", "bleedn": "bleeding", "selfharm": "self harm",
    "threatend": "threatened", "threatned": "threatened", "thretened": "threatened",
    "opps": "rivals", "opp": "rival", "feds": "police", "boydem": "police",
    "trap house": "drug house", "traphouse": "drug house", "bando": "drug house",
    "bandos": "drug houses", "olders": "older gang members", "oldas": "older gang members",
    "theyll": "they will", "theyd": "they would", "youll": "you will",
    "ambulence": "ambulance", "amblance": "ambulance", "claret": "blood",
}

# Regex building blocks, so each rule below reads close to English.
_WEAPON = (r"(?:knife|knives|gun|guns|machete|machetes|weapon|weapons|strap|straps|"
           r"zombie knife|hammer|bat|bats|axe|sword|tings?|skeng)")
_STABBED = (r"(?:stabbed|shot|knifed|jooked|shanked|wetted|slashed|cheffed|chinged|"
            r"stabbed up|shanked up|jooked up|slashed up)")
_PEOPLE = (r"(?:they|them|he|she|rivals|opps|man|men|mans|guys|boys|girls|gang|people|ppl|"
           r"someone|somebody|group|a group|a man|a guy|this guy|these guys|older boys|"
           r"older gang members)")
_ME = r"(?:me|us|my \w+|him|her)"
_NOW = r"(?:right now|now|rn|help|asap|quick)"
_LURK = (r"(?:outside|round the corner|around the corner|downstairs|in the stairwell|"
         r"on the stairs|at the door|at my door|in the building|outside the door|"
         r"outside my (?:house|flat|door|block|yard|school|window|work)|in the car park|"
         r"round the back|out the back|out front)")
_PILLS = r"(?:pills|tablets|paracetamol|painkillers|meds|medication|co codamol|ibuprofen)"
_AWAKE_OFF = r"(?:never|not|did not|didnt|do not|dont)\s+wake\s+up"

FLOOR_RULES: dict[str, tuple[str, ...]] = {
    "emergency": (
        # someone has been hurt
        rf"\b(?:been|got|getting|just got|has been|have been|just been|being)\s+"
        rf"{_STABBED}\b(?!\s+down\b)",
        r"\b(?:just got|just been|being|am being|is being)\s+(?:attacked|jumped)\b",
        r"\b(?:got|been|getting)\s+(?:attacked|jumped)\b.{0,20}\b(?:just now|right now|now|"
        r"help|bleeding|cannot breathe)\b",
        r"\bbeing\s+(?:followed|chased|attacked|jumped|robbed)\b.{0,40}\b(?:right now|now|help)\b",
        r"\b(?:is|are|am|s|keeps?|will not stop|wont stop|cannot stop|still|started|i am)\s+"
        r"bleeding\b",
        r"\bbleeding\s+(?:bad|badly|loads|a lot|everywhere|out|heavily|so much|"
        r"from (?:his|her|my|their|the) \w+)\b",
        r"\b(?:blood|bleeding)\b.{0,30}\b(?:will not stop|everywhere|pouring|pumping|gushing|"
        r"all over|coming out|on the floor|on the ground)\b",
        r"\b(?:so much|lots of|loads of|there is|theres|covered in|pool of)\s+blood\b",
        r"\b(?:stab|gunshot|bullet)\s+wounds?\b",
        # a weapon out
        r"\b(?:has|have|got|pulled|pulling|pull|took out|taking out|brought out|holding|"
        r"waving|swinging|drew|flashed|flashing|pointed|pointing|aiming|with)\s+"
        r"(?:out\s+)?(?:a|an|his|her|their|the|out a|out his|out the)?\s*"
        r"(?:knife|gun|machete|strap|zombie knife|weapon)\b"
        r"(?!\s+(?:crime|skills|and fork|workshop|defence|awareness|emoji|set|block)\b)",
        r"\b(?:at\s+)?(?:knife|gun)\s?point\b",
        rf"\b(?:right now|rn)\b.{{0,30}}\b{_WEAPON}\b",
        rf"\b{_WEAPON}\b.{{0,40}}\b(?:right now|rn|outside my|at my door|chasing|on me now)\b",
        rf"\b(?:outside|at|by|round)\s+(?:my|our)\s+(?:house|flat|door|block|yard|school|"
        rf"window|front door)\b.{{0,30}}\bwith\s+(?:a |an )?{_WEAPON}",
        # being attacked or chased now
        r"\b(?:chasing|attacking|stabbing|shooting|strangling|choking)\s+(?:me|us|my)\b",
        rf"\b(?:chasing|attacking|beating|stabbing|shooting|hitting|punching|kicking|"
        rf"strangling|choking|jumping|robbing|following|battering|coming at|running after)\s+"
        rf"{_ME}\b.{{0,40}}\b{_NOW}\b",
        rf"\b(?:threatening|attacking|chasing|coming at)\s+{_ME}\s+with\s+(?:a|an|his|her|"
        rf"their)?\s*{_WEAPON}",
        r"\b(?:is|are|am)\s+(?:hitting|beating|punching|kicking|strangling|choking|attacking|"
        r"battering|stamping on)\s+(?:me|us|my \w+|her|him)\b",
        r"\b(?:just got|just been|getting|being)\s+(?:rushed|mobbed|battered)\b",
        r"\b(?:there was|theres|there is|heard)\s+(?:a\s+)?(?:shooting|stabbing)\b",
        r"\b(?:got|been|is|am)\s+cut\b.{0,30}\b(?:deep|bleeding|will not close|gaping|stitches)\b",
        r"\b(?:someone|somebody|they|he|people)\s+(?:is\s+|are\s+)?(?:breaking|trying to break)"
        r"\s+in\b",
        r"\b(?:grabbed|grabbing)\s+(?:me|her|him|my \w+)\b.{0,40}\b(?:car|van|trying|pull\w*|"
        r"drag\w*|will not let go|help)\b",
        r"\b(?:pull|pulling|drag|dragging|force|forcing|push|pushing|get|getting|bundle|"
        r"bundling)\s+(?:me|him|her|us|my \w+)\s+(?:in|into)\s+(?:the (?:back|boot) of\s+)?"
        r"(?:a|the|their|his|some)\s+(?:car|van|motor|boot)\b",
        r"\b(?:he|she|they|someone|somebody|mate|friend|bro|sister|brother|cousin)\s+"
        r"(?:is\s+|s\s+|are\s+)?not\s+(?:getting up|moving|breathing|waking up|responding|"
        r"making sense)\b",
        r"\b(?:lying|laying)\s+(?:in|on)\s+(?:the\s+)?(?:road|floor|ground|street|pavement)\b",
        r"\b(?:hit|hitting|attacked|battered|beat|beating|smashed)\s+(?:me|him|her|us|my \w+)\s+"
        r"with\s+(?:a|an|the)\s+(?:bat|bottle|brick|hammer|knife|machete|weapon|pole|crowbar)\b",
        r"\b(?:got|been|just got|getting)\s+(?:poked|dipped|wet|bored|juked|ripped|splashed)\s+"
        r"(?:in|on)\s+(?:the|his|her|my)\s+(?:arm|leg|side|stomach|belly|back|neck|chest|bum|"
        r"thigh|face|head|ribs)\b",
        r"\b(?:head|arm|leg|face|neck|side|stomach|wound)\s+(?:is\s+)?(?:pouring|pissing|gushing|"
        r"pumping)\b",
        r"\b(?:balaclavas?|balis|ballys|masked up|masks on)\b.{0,40}\b(?:just|now|right now|"
        r"outside|ran|running|chasing|pulled up|came|waiting|with)\b",
        # someone unwell or unconscious
        r"(?<!thinking about )(?<!thinking of )\b(?:not breathing|stopped breathing|"
        r"cannot breathe properly|will not wake up|"
        r"not waking up|will not respond|not responding|unconscious|unresponsive|"
        r"overdosed|overdosing|having an overdose|od d|oded|having a fit|having a seizure|"
        r"convulsing|turning blue|going blue|lips are blue)\b",
        r"\b(?:he|she|they|someone|somebody|mate|friend|bro|sister|brother|cousin|i)\s+"
        r"(?:is |just |has )?(?:collapsed|passed out|fitting|fainted)\b",
        rf"\b(?:pill|{_PILLS}|drugs|something|md|mdma|molly|ket|spice|xanax|bars)\b.{{0,40}}"
        r"\b(?:shaking|fitting|boiling|overheating|convulsing|foaming|collapsed|"
        r"not making sense|cannot stand|turning blue|going blue|bad reaction|not right|"
        r"throwing up|being sick|vomiting)\b",
        r"\b(?:bad|weird|allergic) reaction to\b",
        r"\b(?:spiked (?:my|me|her|his|our|their|someones|a)\b|(?:got|been|was|were|"
        r"getting|think i was|i have been) spiked\b)",
        r"\b(?:call|ring|phone|get|need|send)\s+(?:an?\s+)?(?:ambulance|999|paramedics?)\b",
        r"\bhelp me\b.{0,10}\b(?:now|quick|asap)\b",
        # trapped, taken or an intruder
        r"\b(?:locked|trapped|keeping|kept|shut)\s+(?:me|us|her|him)\s+in\b",
        r"\b(?:got|put|pushed|dragged|forced|bundled|threw|shoved|took)\s+"
        r"(?:me|him|her|us|my \w+)\s+(?:in|into)\s+(?:the (?:back|boot) of\s+)?"
        r"(?:a|the|their|his|some)\s+(?:car|van|motor|boot)\b",
        r"\b(?:car|van|boot|room|flat|house|drug house|building)\b.{0,30}\b(?:will not|would not|"
        r"not|never) let (?:me|us) (?:out|leave|go|get out)\b",
        r"\b(?:kicking|smashing|breaking|bashing)\s+(?:down\s+|in\s+)?(?:my|our|the)\s+"
        r"(?:front\s+|bedroom\s+)?(?:door|window|windows)\b",
        r"\b(?:banging|hammering)\s+on\s+(?:my|our)\s+(?:front\s+|bedroom\s+)?(?:door|window)\b",
        r"\b(?:trying to|try to|tried to)\s+(?:get|break|come|kick|climb)\s+(?:in|into|through)"
        r"\s+(?:my|our|the)\s+(?:house|flat|home|room|door|window|bedroom)\b",
        r"\bbreaking into\s+(?:my|our|the)\s+(?:house|flat|home|room)\b",
        # they are still there
        rf"\b{_PEOPLE}\s+(?:are\s+|is\s+)?(?:still\s+)?{_LURK}\b.{{0,40}}\b(?:waiting|"
        rf"for me|looking|with|hiding|scared|help|cannot leave|can hear)\b",
        rf"\b(?:waiting|looking) for (?:me|us)\b.{{0,30}}\b(?:{_LURK}|with (?:a |an )?"
        rf"{_WEAPON})",
        r"\b(?:in the stairwell|downstairs|round the corner)\b.{0,20}\bwaiting for (?:me|us)\b",
        rf"\bstill\s+(?:here|there|{_LURK})\b.{{0,60}}\b(?:robbed|knifepoint|gunpoint|"
        rf"jumped|stabbed|chased|attacked|hiding|{_WEAPON})\b",
        rf"\b(?:robbed|mugged|jumped|attacked|stabbed|knifepoint|gunpoint)\b.{{0,60}}"
        rf"\bstill\s+(?:here|there|around|{_LURK})\b",
        rf"\bhiding\s+(?:in|behind|under|from)\b.{{0,40}}\b(?:them|they|him|rivals|opps|"
        rf"looking for me|waiting|chasing|outside|{_WEAPON})\b",
        # someone killed just now
        r"\b(?:someone|somebody|man|a (?:man|boy|girl|guy|youth|kid)|my (?:friend|mate|cousin|"
        r"brother|bro|boy|bredrin|sister))\s+(?:just\s+)?(?:got|has been|been|was)\s+"
        r"(?:killed|murdered)\s+(?:just now|on|outside|at|in|by|near|round)\s+"
        r"(?:my|our|the|this)\b",
        r"\bjust\s+(?:got|been)\s+(?:killed|murdered)\b",
        rf"\b(?:{_STABBED}|killed|dying|bleeding|attacked)\b.{{0,40}}\b(?:mins? ago|"
        r"minutes ago|just now|in front of me|not here yet)\b",
    ),
    "self_harm": (
        r"\b(?:kill|killing|killed|hurt|hurting|harm|harming|cut|cutting|burn|burning|burnt|"
        r"burned|end|ending|starve|starving|starved|punish|punishing|strangle|strangling|"
        r"hang|hanging|drown|drowning|poison|poisoning|overdose|unalive|unaliving)\s+"
        r"(?:myself|my self|myslef|mysef)\b",
        r"\b(?:kill|killing|hurt|hurting|harm|harming|cut|cuts|cutting|burn|burns|burning|"
        r"starve|starving|end|ending|unalive|unaliving)\s+(?:herself|himself|themselves|"
        r"themself|her life|his life|their life)\b",
        r"\bsuicid\w*\b",
        r"\bself ?harm\w*\b",
        r"\b(?:want|wants|wanted|wanting|wanna|wish|ready|going|trying|about|planning|"
        r"plan|need)\s+to\s+(?:die|be dead|end it|end it all|end things|end my life|"
        r"disappear forever|disappear for good|not exist|stop existing|not be here|"
        r"not be alive|kill myself)\b",
        r"\b(?:wish|wished|wishing)\s+(?:i\s+)?(?:was|were|had|could)\s+(?:just\s+)?"
        r"(?:dead|die|never born|been never born|not alive|disappear)\b",
        r"\bwish (?:i )?(?:never|had not|hadnt) (?:woke|woken|wake) up\b",
        rf"\b(?:want|wanna|wish|hope|pray|rather|mind|if i|to|just)\b.{{0,20}}\b{_AWAKE_OFF}\b",
        r"\bsleep (?:forever|and never wake up)\b",
        r"\b(?:better off|happier|easier|better|fine)\b.{0,20}\b(?:without me|dead|"
        r"if i (?:was|were) (?:dead|gone|never born)|if i (?:was|were) not (?:here|around|"
        r"alive)|if i (?:wasnt|werent) (?:here|around|alive)|if i (?:died|disappeared|"
        r"did not exist|never existed|killed myself|was gone))\b",
        r"\bif i (?:died|was dead|were dead|was gone|were gone|disappeared|did not wake up|"
        r"didnt wake up|never woke up|killed myself)\b.{0,40}\b(?:care|notice|mind|miss|"
        r"better|happier|matter|cry)\b",
        r"\b(?:no one|nobody|noone|no1)\s+(?:would|will|wud|is going to|going to)\s+"
        r"(?:even\s+)?(?:miss me|care if i|notice if i|care when i|notice when i|"
        r"care if im|notice if im)\b",
        r"\bno\s+(?:point|reason|use)\s+(?:in\s+|of\s+|to\s+)?(?:me\s+)?(?:even\s+)?"
        r"(?:living|to live|being alive|being here|staying alive|existing|life|going on|"
        r"carrying on|anymore|any more|anything)\b",
        r"\b(?:what is|whats|what s)\s+(?:even\s+)?the point\s+(?:of|in)\s+(?:me\s+)?"
        r"(?:even\s+)?(?:anything|everything|living|life|being alive|being here|existing|"
        r"it all|going on|carrying on|waking up|trying anymore)\b",
        r"\bnothing (?:left )?to live for\b",
        r"\b(?:take|taking|took|end|ending)\s+(?:my\s+(?:own\s+)?life|it all)\b",
        rf"\b(?:took|taken|taking|swallowed|necked|downed|had|take)\s+(?:a load of|loads of|"
        rf"lots of|all (?:of )?(?:my|the|her|his)|a whole|a bunch of|too many|a handful of|"
        rf"\d+|twenty|fifty|a box of|a packet of|the whole|my \w+s|her \w+s|his \w+s)\s+"
        rf"(?:\w+\s+){{0,2}}(?:{_PILLS}|packet|packets|box)\b",
        r"\b(?:swallowed|necked|downed)\s+(?:a|the)\s+(?:whole\s+)?(?:packet|box|bottle)\b",
        rf"\bhow many\b.{{0,25}}\b{_PILLS}\b.{{0,25}}\b(?:it takes|does it take|would it take|"
        r"to die|to kill|to not wake|to overdose|to od|is fatal|is lethal|enough)\b",
        r"\b(?:do not|does not|never|not)\s+(?:really\s+|even\s+|actually\s+|honestly\s+|"
        r"kinda\s+|want to\s+)?(?:want to|wish to|feel like)\s+(?:live|be alive|be here|exist|"
        r"wake up|keep living|be on this earth)\b(?!\s+(?:in|with|at|near|round|around|"
        r"there|somewhere|anywhere|abroad|the|a|an|that|this|his|her|their|our|for|on)\b)",
        r"\b(?:cannot|can not|do not think i can|not sure i can)\s+(?:see a way out|"
        r"do this anymore|do this any more|take (?:it|this) (?:anymore|any more|no more)|"
        r"take any more|cope anymore|cope any more|handle (?:it|this|life) anymore|"
        r"live like this|keep living|do life)\b",
        r"\b(?:cannot|can not|do not think i can|not sure i can)\s+(?:keep doing this|"
        r"keep going|go on|carry on|cope)(?=\s*$|\s+(?:anymore|any more|no more|like this|"
        r"much longer|with (?:life|this|it)|tbh|fr|ngl|honestly|tho|though|i|and|"
        r"everything|its|it is|to be honest))",
        r"\b(?:thinking (?:of|about)|think about|thought about|going to|about to|ready to|"
        r"want to|just)\s+(?:just\s+)?ending it(?:\s+all)?\b(?!\s+with)",
        r"\b(?:how to|how i (?:would|will|could|can|would)|how id|ways to|way to|"
        r"best way to|easiest way to|quickest way to)\s+(?:end it|end it all|end things|"
        r"end my life|kill myself|die)\b",
        r"\b(?:least painful|painless|quickest|easiest)\s+way\s+(?:to\s+)?(?:go|die|do it|"
        r"end it)\b",
        r"\b(?:jump|jumping|step|stepping|throw myself|throwing myself|walk|walking)\s+"
        r"(?:off|in front of)\s+(?:the top of\s+)?(?:a|the|this|that|my)?\s*(?:bridge|roof|"
        r"building|train|"
        r"tracks|car park|balcony|bus|lorry|cliff|tower|block)\b",
        r"\b(?:stood|standing|sitting|sat|stand)\s+on\s+(?:the|a)\s+(?:edge of the\s+)?"
        r"(?:roof|edge|ledge|bridge|balcony)\b",
        r"\b(?:i am|i feel|i feel like)\s+(?:just\s+|such\s+|a\s+)*(?:a\s+)?"
        r"(?:burden|waste of space)\b",
        r"\b(?:cut|cutting|cuts|slit|slitting|burn|burning|burnt|burned|scratch\w*|carv\w*)\s+"
        r"(?:my|her|his)\s+(?:arms?|wrists?|legs?|thighs?|skin|stomach|body|hips?)\b",
        r"\b(?:cut|cutting|burnt|burned|scratched)\s+(?:deeper|too deep|worse than)\b",
        r"\b(?:carv\w*|cut|cutting|scratch\w*|burn\w*|etch\w*)\b.{0,25}\b(?:into|in|on)\s+my\s+"
        r"(?:arms?|wrists?|legs?|thighs?|skin|stomach|hips?)\b",
        rf"\b(?:{_PILLS}|pill)\s+(?:saved up|stockpiled|hidden|ready|stashed)\b",
        rf"\b(?:saving|saved|stockpiling|stockpiled|collecting|hoarding)\s+(?:up\s+)?(?:my\s+)?"
        rf"{_PILLS}\b",
        r"\b(?:till|until)\s+(?:my\s+\w+|they|it|i)\s+(?:bleed\w*|split\w*|bruis\w*|break|"
        r"broke|crack\w*|scar\w*|went numb|go numb)\b",
        r"\b(?:punch\w*|hit\w*|bang\w*|hurt\w*|cut\w*|burn\w*|scratch\w*|starv\w*|punish\w*)"
        r"\b.{0,50}\b(?:i deserve it|i deserve to)\b",
        r"\b(?:to|i)\s+punish\s+myself\b",
        r"\b(?:do not|cannot|can not)\s+see\s+(?:why|the point|a reason|any reason|how)\s+"
        r"(?:i should\s+|to\s+|in\s+|of\s+)?(?:keep going|go on|carry on|living|live|be here|"
        r"bother|stay)\b",
        r"\b(?:sleep|go to sleep|go away|disappear)\s+and\s+(?:not|never)\s+(?:come back|"
        r"wake up|return)\b",
        r"\b(?:crash\w*|hurt\w*|cut\w*|burn\w*|starv\w*|overdos\w*|drown\w*|hit\w*|"
        r"punch\w*)\b.{0,30}\bon purpose\b",
        r"\b(?:hurt|hurting|hit|hitting|punch\w*|bruis\w*|bang\w*)\s+my\s+(?:arms?|wrists?|"
        r"legs?|thighs?|head|stomach)\s+(?:again|till|until|on purpose|so|when)\b",
        r"\bhow (?:high|tall|far down|deep)\b.{0,20}\b(?:bridge|roof|car park|tower|cliff|"
        r"balcony|drop)\b",
        r"\b(?:end|ending)\s+(?:everything|it all)\b",
        r"\b(?:want|wish|need|wanna)\s+(?:it all|everything|life|it)\s+to\s+(?:be over|end|"
        r"stop)\b",
        r"\b(?:knife|razor|razors|blade|blades|knives|pills|sharpener|lighter)\b.{0,40}"
        r"\b(?:for when it gets|when it gets (?:bad|too much|hard)|for when i need)\b",
        r"\b(?:said|say|saying|told|texted|messaged)\s+(?:\w+\s+){0,2}?goodbye\b.{0,30}"
        r"\b(?:meant it|forever|for good|last time|final)\b",
        r"\b(?:research\w*|looked up|looking up|googl\w*|search\w*)\b.{0,20}\b(?:overdos\w*|"
        r"ways to die|how to die|lethal dose|painless way)\b",
        r"\b(?:thinking|think|thought)\s+about\s+(?:dying|being dead|not being here|"
        r"not being alive|ending it|killing myself)\b",
        r"\b(?:have|got|bought|found|ordered)\s+(?:a|the)\s+(?:rope|noose)\b",
        r"\bwhat is (?:even\s+)?the point\b(?=\s*$|\s+(?:anymore|any more|i |i am|of me|in me|"
        r"of it all|honestly|tbh))",
        r"\b(?:gave|giving|give|given)\b.{0,25}\bmy\s+(?:stuff|things|belongings)\b.{0,40}"
        r"\b(?:bye|goodbye|need it|need them|forever)\b",
        r"\b(?:will not|not going to|do not think i will|do not think ill|wont)\s+(?:be\s+)?"
        r"(?:here|around|alive)\s+(?:next|by|much longer|for long|tomorrow|after|anymore)\b",
        r"\brelaps\w*\b.{0,40}\b(?:cut|cutting|self harm|sh|clean|harm|burn|burning)\b",
        r"\b(?:clean from|urges? to|relapsed? on)\s+(?:sh|self harm|cutting|cut)\b",
        r"\b(?:life|living|my life|everything|existing)\s+(?:is|feels|seems)\s+(?:so\s+|"
        r"just\s+|really\s+|completely\s+|totally\s+|literally\s+)?(?:pointless|meaningless|"
        r"hopeless|not worth it|worthless)\b",
        r"\b(?:life|living|it all|me)\b.{0,10}\b(?:not|aint|is not)\s+worth\s+(?:it|living)\b",
        r"\b(?:might as well|may as well|rather)\s+(?:just\s+)?(?:not exist|not be here|"
        r"not be alive|be dead|die|disappear|end it)\b",
        r"\b(?:written|wrote|writing|left|leaving)\s+(?:a|my)\s+(?:suicide|goodbye)\s+"
        r"(?:note|letter|message|text)\b",
        r"\b(?:going to|will|about to)\s+(?:do it|go through with it)\s+(?:properly|for real|"
        r"this time|tonight)\b",
        r"\b(?:have|got|made|making)\s+a plan\b.{0,30}\b(?:do it|end it|tonight|die)\b",
    ),
    "exploitation": (
        r"\bcounty lines?\b",
        r"\b(?:made|make|makes|making|forcing|forced|force|pressured|pressuring|being made)\s+"
        r"(?:me|us|him|her|my \w+)\s+(?:to\s+|into\s+)?(?:sell|selling|deal|dealing|shot|"
        r"shotting|stash|stashing|plug|plugging|deliver|delivering|trap|trapping)\b",
        r"\b(?:said|say|says|saying|told me|now|so now|so)\s+i\s+(?:owe|owed)\b",
        r"\bi\s+(?:owe|owed)\s+(?:them|him|her|the|my|these|those|some|man)\s+(?:older gang "
        r"members|olders|plug|dealer|now|for|\d+|money|bags?|double|back)\b",
        r"\b(?:in debt|in dept)\s+(?:to|with)\s+(?:them|him|the|my|a|some|these|those)\b",
        r"\bdebt bondage\b",
        r"\b(?:work|working|pay|paying)\s+(?:it|the debt|that|this)\s+off\b.{0,30}"
        r"\b(?:them|they|him|he|olders|older gang members)\b",
        r"\b(?:said|say|says|told me|have to|got to|gotta|make me|makes me)\b.{0,20}"
        r"\bwork (?:it|the debt) off\b",
        r"\b(?:run|running|sell|selling|deal|dealing|shot|shotting|hold|holding|graft|"
        r"grafting|trap|trapping|do runs|doing runs|do drops|doing drops)\s+(?:for|4)\s+"
        r"(?:them|the older gang members|my older gang members|older gang members|the same "
        r"\w+|some (?:guys|man|men|older gang members|people)|these (?:guys|man|men|people)|"
        r"a gang|the gang|dealers|drug dealers)\b",
        r"\btrap ?(?:phone|line|spot|flat)\b",
        r"\b(?:in|at|to|from|inside)\s+(?:a|the|this|some|their|his|another)\s+"
        r"(?:trap|drug house)\b",
        r"\bcuckoo(?:ed|ing)?\b",
        r"\b(?:send|sends|sent|sending)\s+(?:me|us|him|her|my \w+)\s+(?:up north|out of town|"
        r"country|county lines|to shot|to sell|to deal|to trap)\b",
    ),
    "threatened": (
        r"\b(?:going to|will|would|said (?:he|she|they) (?:will|would))\s+(?:beat|bang|batter|duff)"
        r"\s+(?:me|us)\s+(?:up|in)\b",
        r"\b(?:robbed|jumped|attacked|beat|battered|stabbed|mugged|slapped|rushed)\s+(?:me|us|"
        r"my \w+)\b.{0,40}\b(?:do it again|be back|come back|next time|round 2|round two|"
        r"not finished|not done)\b",
        r"\blooking over my shoulder\b",
        r"\b(?:will|would|going to|are|is|they will|he will|she will)\s+(?:come|coming)\s+"
        r"(?:for|after)\s+(?:me|us|my \w+)\b",
        r"\b(?:scared|afraid|worried|terrified|frightened)\b.{0,20}\b(?:they will|he will|she will|"
        r"they are going to|he is going to)\s+(?:come|turn up|show up|find (?:me|us)|"
        r"get (?:me|us)|hurt (?:me|us|my \w+)|do something)\b",
        r"\b(?:starting on|start on|started on)\s+(?:me|us)\b",
        r"\b(?:showing up|turning up|popping up|appearing|following me)\s+everywhere\s+i\s+go\b",
        r"\b(?:do not|cannot|can not|never)\s+(?:go out|leave the house|leave my house|go outside|"
        r"go anywhere|go to school|go to college)\b.{0,40}\b(?:because of|cos of|cause of|"
        r"scared|afraid|not safe)\b",
        r"\b(?:slashed|smashed|bricked|burnt|set fire to|kicked in|egged|keyed)\s+(?:my|our)\s+"
        r"(?:tyres|tires|car|window|windows|door|front door|house|flat|bike)\b",
        r"\b(?:scared|afraid|frightened|terrified|too scared)\b.{0,40}\b(?:because of|cos of|"
        r"cause of)\s+(?:the\s+)?(?:rivals|them|these|those|boys|gang|beef|him|people|some)\b",
        # "they said they'll wet me", "hes gonna jook me" (not "im gonna kill my brother lol")
        r"(?<!\bi am )(?<!\bi )\b(?:going to|will|would|want to|wants to|trying to|planning to|"
        r"coming to|out to|threatened to|threatening to|they will|he will|she will|they would|"
        r"he would|she would|hell|shell)\s+(?:\w+\s+)?(?:stab|shoot|kill|murk|merk|wet|slash|"
        r"slice|shank|jook|knife|bang|jump|beat up|batter|rob|hurt|do in|smoke|ching|chef|dip|"
        r"poke|bore)\s+(?:me|us|my \w+)\b",
        # softer verbs need care: "going to get me a ticket" is not a threat
        r"(?<!\bi am )(?<!\bi )\b(?:going to|will|would|want to|wants to|trying to|planning to|"
        r"coming to|out to|they will|he will|she will|hell|shell)\s+(?:get|find|catch)\s+"
        r"(?:me|us|my \w+)\b(?!\s+(?:a|an|some|one|the|new|something|food|tickets?|into|to|home|"
        r"up|from|at|later|in the game|from school|from college|from work)\b)",
        r"\bthreat(?:s|en|ens|ened|ening)?\b",
        r"\b(?:following|followed|follows|stalking|stalked|stalks)\s+(?:me|us)\b"
        r"(?!\s+(?:on|back)\b)",
        r"\b(?:they|he|she|someone|somebody|man|mans|people|ppl|rivals|we|them|everyone|"
        r"guys|boys|girls|gang)\s+(?:now\s+|all\s+)?(?:know|knows|knew|found out|find out)\s+"
        r"(?:where|what|which)\s+(?:\w+\s+){0,2}?(?:i|we|you|my \w+|my \w+ \w+)\s+(?:live|lives|"
        r"stay|stays|go|goes|take|takes|get|work|works|am|is)\b",
        r"\b(?:know|knows|found out|got|posted|leaked|shared|put)\s+my\s+(?:address|postcode)\b",
        r"\b(?:scared|afraid|frightened|terrified|petrified)\s+(?:to|of)\s+(?:go|going|leave|"
        r"leaving|walk|walking|step|stepping|take|taking|get|catch)\b.{0,25}\b(?:out|outside|"
        r"home|"
        r"school|college|house|area|road|estate|bus|station|park|ends|work|training|shop|"
        r"shops)\b",
        r"\b(?:do not|never|not)\s+feel\s+safe\b",
        r"\b(?:not|no longer)\s+safe\s+(?:for me|in my|round|around|on my|to go|anymore)\b",
        r"\bi am not safe\b",
        r"\b(?:price|hit|bounty)\s+(?:out\s+)?on\s+(?:my|me|his|her)\b",
        r"\bwatch (?:your|ur|yo|you|ya) back\b",
        r"\b(?:said|says|saying|told me|tell me|warned me)\b.{0,20}\b(?:i am|you are|your)\s+"
        r"(?:dead|finished|done for|getting it|a target|marked)\b",
        r"\bif (?:i|you)\s+(?:snitch|grass|tell|talk|report|speak to the police|"
        r"go to the police)\b.{0,30}\b(?:dead|finished|done|next|hurt|stab|kill|get)\b",
    ),
}

# Harmless uses of alarming words. Each is cut out of the message (only those words) before
# the rules run, so "killed it at football, also they stabbed my mate" still fires.
FLOOR_EXCLUDE: tuple[str, ...] = (
    "killed it", "killing it", "kill it", "smashed it", "dead tired", "died laughing",
    "dying laughing", "nearly died laughing", "dead lol", "kill time", "killing time",
    "deadly", "to die for", "dying to", "shooting hoops", "shoot hoops", "shot some hoops",
    "shot a video", "shoot a video", "shot a music video", "shoot a music video",
    "music video shoot", "photo shoot", "shoot my shot", "shot my shot", "shooting my shot",
    "bleeding hell", "knife and fork", "knife skills", "cut my hair", "haircut",
    "this heat is killing me", "my feet are killing me", "phone is dying", "battery is dying",
    "first aid", "self defence", "self defense", "nose is bleeding", "nosebleed",
    "bleeding from the cold", "suicide run", "suicide runs", "suicide sprints",
    "suicide drills", "suicide squad", "bored to death", "cut myself shaving",
    "hurt myself playing", "hurt myself at training", "hurt myself in training",
    "fire drill",
)

# The same, where a pattern reads better than a list of phrases.
# "if i tell" as a threat to keep quiet ("dad will kill me if i tell anyone"), not owning up
# to something ("if i tell her i crashed the car"). Shared by the hyperbole exclusions below
# and the abuse rule in safety_rules_more.py.
TELL_WORDS = r"tell|told|say|said|speak|snitch|grass|report|go to|call"
OWNING_UP = (r"(?!\s+(?:(?:him|her|them|mum|dad|my \w+)\s+)?"
             r"(?:i|i am|that i|about (?:the|my|how i))\b)")

FLOOR_EXCLUDE_PATTERNS: tuple[str, ...] = (
    # hyperbole, relationships, games and school work (blind set A's false alarms)
    r"\b(?:would|id|i would|i d) rather die\b",
    r"\b(?:end|ending|ended) (?:things|it) with (?:my|her|him|them)\b",
    r"\b(?:girlfriend|boyfriend|gf|bf|relationship|partner)\b.{0,30}\b(?:end it|end things)\b",
    r"\brun away to (?:paris|disneyland|vegas|the beach|an island|hawaii|spain|dubai)\b",
    r"\b(?:knife|gun) kills?\b|\brhymes? with\b",
    r"\b(?:essay|presentation|coursework|sources|book|books|film|short film|documentary|play|"
    r"drama piece|project|assignment|homework|article|podcast|lesson|talk|assembly|research)\b"
    r".{0,20}"
    r"\b(?:on|about|for|into)\s+(?:\w+\s+){0,6}?(?:domestic abuse|domestic violence|"
    r"county lines|exploitation|exploited|knife crime|knives|gangs|grooming|abuse|violence|"
    r"stabbings?|shootings?|self harm|suicide|running away|homelessness)\b",
    r"\b(?:on|in) the news\b.{0,60}\b(?:shot|stabbed|killed|murdered)\b",
    r"\b(?:got|been|was) (?:stabbed|shot) (?:\w+ ){0,2}years ago\b",
    r"\bwith (?:a|her|his) (?:pillow|cushion|snowball|water balloon|nerf \w+)\b",
    r"\b(?:in debt|owe \w*)\s*(?:to\s+)?(?:my )?(?:sister|brother|mum|dad|nan|mate)\b.{0,30}"
    r"\b(?:tenner|fiver|quid|pound|phone bill|cinema|lol|big time|for (?:the|my) \w+)\b",
    r"\bowe (?:him|her) big time\b",
    r"\bcounty lines (?:with|to) (?:my|our|the|school|family|an?)\b(?!.{0,40}\b(?:older|"
    r"sell|drugs|owe|made me|have to|make me|package)\b)",
    r"\b(?:works|worked|working) (?:on|in|for) (?:the )?ambulances?\b",
    r"\brun(?:ning)? away from (?:this|the|my|all (?:this|my)) (?:homework|maths|exam|test|"
    r"work|revision|responsibilities|problems|chores|essay|coursework)\b",
    r"\brunning away with (?:it|the (?:game|race|match|win|title|lead|league))\b",
    r"\bbeat (?:me|him|her|us|them) (?:at|in|on) (?:fifa|\w+ (?:game|match)|chess|pool|"
    r"cards|the race|football|2k|fortnite|cod|monopoly|uno)\b",
    r"\bkicked (?:me|him|her|us) out of (?:the|a|our|my) (?:game|lobby|party|squad|team|chat|"
    r"group|gc|match|server|call)\b",
    r"\bhigh ?fives?\b|\bshot down by\b|\bshoot (?:my|his|her|your|their) shot\b|"
    r"\bshot (?:my|his|her|your|their) shot\b",
    r"\basked (?:me|her|him) to (?:the )?(?:prom|dance|formal|party|cinema|movies)\b",
    r"\bstabbed (?:me|him|her|us) in the back\b(?!\s+(?:with|bleeding|properly|and (?:i am|im|"
    r"he is|hes) bleeding))",
    r"\b(?:stabbed|killed|shot|murdered)\s+(?:me|him|her|us)\s+in\s+(?:among us|minecraft|roblox|"
    r"gta|fortnite|warzone|cod|the game)\b",
    r"\bkill (?:this|that|the) (?:interview|exam|test|audition|set|show|performance|"
    r"presentation|match)\b",
    r"\bamong us\b|\bin (?:minecraft|roblox|gta|fortnite|warzone|cod|among us)\b",
    # a threat to keep quiet, to pay, or to find them is not hyperbole
    r"\b(?:will|gonna|going to) (?:literally )?(?:kill|strangle|murder|end) me if\b"
    r"(?!\s+(?:i|we|u|you) (?:ever\s+)?(?:" + TELL_WORDS + r"|do not pay|dont pay|do not give|"
    r"dont give)\b" + OWNING_UP + r"|\s+(?:he|she|they) (?:finds?|catch\w*|sees?) (?:me|us)\b)",
    r"\b(?:bleeding|bled) a (?:bit|little)\b|\ba (?:bit|little bit) of blood\b",
    r"\bmurder (?:them|him|us|you) (?:in|at|on) (?:the )?(?:derby|match|game|final|league|fifa|"
    r"semis?|cup)\b",
    r"\brunning away from (?:a|the) (?:creeper|zombie|dog|fox|bee|wasp|spider|ghost|goose)\b",
    r"\bwithout (?:cutting|hurting|burning|stabbing) (?:myself|yourself|my finger)\b",
    r"\bcounty lines (?:for the weekend|for a holiday|on holiday|camping)\b",
    r"\b(?:mum|dad|nan|parents?|sister|brother|uncle|aunt|auntie)\w* (?:is |s )?coming to "
    r"(?:get|pick up|collect|fetch) me\b",
    r"\brun away from (?:a|the) (?:monster|zombie|creeper|ghost|killer|bear)\b",
    r"\bkicked (?:me|him|her|us) out of (?:his|her|my|their|the) (?:room|bedroom|car|lesson)\b",
    r"\bbleeding edge\b|\bparkrun\b|\bmoving day\b",
    r"\b(?:burnt|burned|cut) (?:myself|yourself|themselves|herself|himself) (?:on (?:the|a|my) "
    r"(?:oven|iron|stove|hob|kettle|pan|tray|straighteners|toaster|paper|glass)|cooking|shaving)\b",
    r"\b(?:cuts|cut) themselves cooking\b|\bawareness (?:day|week|month)\b",
    r"\bsigns of (?:county lines|exploitation|grooming|abuse|self harm)\b",
    r"\b(?:nearly|almost) (?:passed out|fainted|died)\b",
    r"\bhelp (?:homeless|the homeless) people\b",
    r"\bfollow\w* (?:me|us) (?:back|on (?:insta|instagram|tiktok|snap|twitter|x))\b",
    r"\bwatch\w* (?:me|us) (?:play|perform|dance|sing|box|rap|at the|in the show)\b",
    # hyperbole: "im gonna die of boredom", "my mum is going to kill me"
    r"\b(?:die|died|dying)\s+(?:of|from)\s+(?:boredom|embarrassment|cringe|laughter|"
    r"laughing|shame|hunger|thirst|the heat|heat|cold|excitement|happiness|jealousy)\b",
    r"\b(?:mum|mom|mam|dad|mother|father|nan|gran|teacher|coach|sister|brother|bro|sis|"
    r"parents|boss|gf|bf|girlfriend|boyfriend|sir|miss|tutor|manager)\s+(?:is\s+|s\s+|are\s+)?"
    r"(?:going to|will|would|is going to)\s+(?:actually\s+|literally\s+|deffo\s+|defo\s+)?"
    r"(?:kill|murder|end)\s+me\b(?!\s+if (?:i|we|u|you) (?:" + TELL_WORDS + r")\b" + OWNING_UP
    + r")",  # "will kill me if i tell" is a threat to keep quiet, not hyperbole
    # games
    r"\b(?:shot|killed|murdered|stabbed|died|dead|killing streak|kill streak)\b.{0,20}"
    r"\b(?:in|on|playing)\s+(?:fortnite|cod|call of duty|warzone|apex|gta|fifa|minecraft|"
    r"roblox|valorant|pubg|the game|a game|ranked)\b",
    r"\bkilling streak\b|\bkill streak\b",
    # idioms: betrayal, rejection, a teacher's "threat" of detention
    r"\bstabbed (?:me |us )?in the back by (?:the ref|the referee|my (?:mates|friends|bestie|"
    r"best friend|team|teammates))\b",
    r"\bbleeding (?:me|us|you) dry\b",
    r"\b(?:cat|dog|puppy|kitten|bird|pet)\s+(?:keeps\s+|is\s+|s\s+)?(?:following|follows|"
    r"followed)\s+me\b",
    r"\b(?:i am|you are|he is|she is)\s+next\s+(?:up|in line|to perform|on stage|to go|"
    r"to sing|to play|to bat)\b",
    r"\baccidentally\s+(?:cut|hurt|burnt|burned|scratched)\s+myself\b",
    r"\bcounty lines\s+for\s+(?:a walk|a holiday|holiday|the day|a picnic|a trip|fresh air)\b",
    r"\bshot down by (?:his|her|my|their) (?:ex|crush|girl|gf|bf|boyfriend|girlfriend)\b",
    r"\b(?:teacher|school|college|coach|sir|miss|tutor)\s+(?:has\s+)?threaten\w*\s+to\s+(?:give|"
    r"put|send|call|ring|tell|exclude|ban|phone|email|report)\b",
    r"\b(?:learn|learning|course|class|training|teach\w*|lesson|workshop)\b.{0,20}\b(?:for|about|"
    r"on|to treat)\s+(?:stab|gunshot)\s+wounds?\b",
    # things, not people
    r"\b(?:phone|phones|battery|laptop|charger|plant|plants|fish|party|vibe)\s+"
    r"(?:is\s+|s\s+|are\s+)?(?:about to die|going to die|dying|died|dead|is dead)\b",
    # talking about the topic rather than living it
    r"\b(?:what (?:is|are|does)|explain|project on|lesson on|lessons on|talk on|talk about|"
    r"assembly on|workshop on|video on|videos on|documentary on|documentaries on|essay on|"
    r"research on|learn about|learning about|debate on|debate about|info on|stats on|"
    r"facts about|heard about)\s+(?:what\s+)?(?:county lines?|cuckooing|knife crime|"
    r"exploitation)(?:\s+(?:means|mean|is))?\b",
    r"\b(?:county lines?|cuckooing|knife crime|exploitation|gang)\s+(?:awareness|workshop|"
    r"talk|assembly|project|lesson|course|training|programme|documentary|mentoring|"
    r"victims?)\b",
)
