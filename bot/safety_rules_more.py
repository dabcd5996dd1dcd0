"""Built-in floor rules for abuse at home, sexual harm, hurting others, carrying a weapon and
running away, plus rules that read emoji. Compiled with bot/safety_rules.py's rules.

Rules read the floor's normalised text: lower case, no apostrophes, slang from
FLOOR_LEXICON ("shank" -> "knife", "murk" -> "kill"), "im" -> "i am", "gonna" ->
"going to". Emoji that matter for safety are read as marker words ("emjknife") in a view
of their own (bot/safety_words.py), so "🌉 tonight" and "bridge tonight" are told apart.
"""

from __future__ import annotations

from bot.safety_rules import OWNING_UP, TELL_WORDS

_CARER = (r"(?:mum|mother|dad|father|older bro|big bro|bro|sis|step (?:dad|mum)|parents?|"
          r"carers?|foster (?:mum|dad|"
          r"carer|parents?)|nan|nana|gran|grandad|grandma|uncle|auntie|aunt|older brother|"
          r"older sister|big brother|big sister|brother|sister|mum (?:boyfriend|partner|fella|"
          r"man)|dad (?:girlfriend|partner)|his (?:dad|mum)|her (?:dad|mum)|guardian)")
_HIT = (r"(?:hits?|hitting|beats?|beating|beaten|batters?|battered|punch(?:es|ed|ing)?|"
        r"kicks?|kicked|kicking|battering|lamp\w*|slaps?|slapped|slapping|chokes?|choked|choking|strangl\w*|"
        r"throws? (?:things|stuff|plates|stuff) at|threw (?:things|stuff|a \w+) at|pushe[sd]|"
        r"shoves?|shoved|burns?|burnt|burned|whips?|whipped|belts?|belted|hurts?|hurting|"
        r"smacks?|smacked|bruised|drags?|dragged|headbutt\w*|bites|bit|lays hands on|"
        r"puts hands on|put (?:his|her) hands on|grabs?|grabbed)")
_VICTIM = (r"(?:me|us|my (?:mum|little \w+|baby \w+|sister|brother|sis|bro|siblings)|"
           r"her|mum|my nan)")
_WEAPON = (r"(?:knife|knives|blade|blades|gun|guns|strap|machete|weapon|weapons|"
           r"zombie knife|skeng|ting|pepper spray|knuckle ?duster|shank|something sharp|"
           r"a sharp)")
_CARRY_WHY = (r"(?:protection|to protect myself|protect myself|just in case|in case|"
              r"to be safe|to feel safe|safer|for safety|for my safety|back ?up|"
              r"cos of the rivals|because of the rivals|everyone (?:carries|has one|does)|"
              r"on me|in my (?:bag|pocket|waistband|coat|jacket|sock|sleeve|trackies|"
              r"school bag|locker)|under my (?:pillow|bed|mattress)|to school|when i go out|"
              r"when i am out|going out|round my ends|for the rivals|if they come)")
_PICS = (r"(?:nudes?|naked (?:pics?|pictures?|photos?|videos?|vids?)|nude (?:pics?|photos?)|"
         r"pics? of me|photos? of me|videos? of me|explicit \w+|sexy (?:pics?|photos?)|"
         r"private (?:pics?|photos?|videos?)|dirty (?:pics?|photos?)|pics? without|"
         r"emjpic|pics in my underwear|topless \w+|my pics|my pictures|my photos|my videos)")
_PICS_BAD = (r"(?:send(?:ing)? (?:them|it|more|to)|sent (?:them|it) to|share|sharing|shared|"
             r"post|posted|posting|leak\w*|expos\w*|everyone|my year|the school|group ?chat|"
             r"the gc|money|pay|paid|unless|or else|or he|or she|or they|threaten\w*|asking|"
             r"asked|keeps? asking|begging|want(?:s|ed)?|pressur\w*|forc\w*|making me|"
             r"made me|blackmail\w*|screenshot\w*|saved|spread\w*)")
_OLDER = r"(?:2\d|3\d|4\d|5\d|older|way older|much older|an adult|a grown man|a grown up)"
# things people "kill" or "smash" that are not people ("kill this interview")
_NOT_PEOPLE = (r"(?:interview|exam|test|game|set|song|track|verse|performance|presentation|"
               r"audition|match|round|level|essay|homework|shift|look|fit|outfit|show|"
               r"weekend|week|summer|morning|evening|afternoon|time|year|term|month|holidays?|"
               r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)")  # "do this weekend"
_YOUNG = r"(?:1[0-5]|only 1[0-5]|in year [5-9]|in year 1[01])"

MORE_RULES: dict[str, tuple[str, ...]] = {
    "abuse_at_home": (
        # a parent or carer's threat to keep a child quiet ("dad will kill me if i tell")
        r"\b(?:mum|mom|mam|dad|mother|father|step ?dad|step ?mum|carer|foster \w+|uncle|auntie|"
        r"aunt|nan|grandad|he|she)\b.{0,40}\b(?:kill|hurt|batter|beat|murder|punish)\s+"
        r"(?:me|us)\s+if (?:i|we) (?:ever\s+)?(?:" + TELL_WORDS + r")\b" + OWNING_UP,
        # a parent or carer breaking a bone ("dad broke my arm")
        r"\b(?:mum|mom|mam|dad|mother|father|step ?dad|step ?mum|mum s (?:boyfriend|partner)|"
        r"mums (?:boyfriend|partner)|carer|foster \w+|uncle|parents?|he|she)\b.{0,20}\b(?:broke|"
        r"fractured|dislocated|cracked)\s+my\s+(?:arm|nose|wrist|fingers?|ribs?|jaw|leg|ankle|"
        r"hand|tooth|teeth|collarbone|cheekbone)\b",
        r"\b(?:locks?|locked|hides?|hid)\s+(?:the\s+|all the\s+)?food\b|\bonly (?:get to )?eat at "
        r"school\b",
        r"\b(?:lick\w*|box\w*|bang\w*|slap\w*|smack\w*|hit\w*|whack\w*)\s+(?:me|her|him|us)\s+"
        r"(?:round|around|in|on|across)\s+the\s+(?:head|face|ear)\b",
        rf"\b{_CARER}\b.{{0,40}}\bchuck\w*\s+(?:stuff|things|\w+)\s+at\s+(?:me|us|her|mum)\b",
        r"\b(?:hoodie|long sleeves|make ?up|jumper|scarf)\b.{0,40}\b(?:no one sees|nobody sees|"
        r"hide|cover)\b.{0,20}\b(?:marks|bruises)\b",
        r"\bscared when (?:i hear )?(?:his|her|dad|mum|step dad)\b.{0,25}\b(?:key|car|door|comes "
        r"home|gets home|voice)\b",
        r"\b(?:hide|hiding|hid)\s+(?:my (?:little |baby )?\w+|me|us)\s+in the (?:wardrobe|cupboard|"
        r"bathroom|bedroom|garden)\b",
        r"\b(?:drag\w*|pull\w*)\s+(?:me|you|her|him|us)\s+(?:by|across|round)\s+(?:the|my|her|his)\s+"
        r"(?:hair|floor|room)\b",
        r"\b(?:broke|smashed|took)\s+(?:her|my|mum)\s+phone so (?:she|i|we) (?:cannot|can not|"
        r"cant)\b",
        rf"\b{_CARER}\b.{{0,40}}\b{_HIT}\s+(?:\w+\s+)?{_VICTIM}\b",
        rf"\b(?:got|been|get|getting|was|were|am)\s+(?:\w+\s+)?(?:hit|beaten|battered|"
        rf"punched|kicked|slapped|choked|strangled|burnt|burned|hurt|whipped|belted|smacked)"
        rf"\b.{{0,25}}\bby (?:my|our) {_CARER}\b",
        rf"\b(?:he|she|dad|mum|step dad|step mum|{_CARER})\s+(?:\w+\s+)?{_HIT}\s+(?:my|our)\s+"
        r"(?:mum|nan|mother|sister|little \w+)\b",
        r"\b(?:scared|afraid|frightened|terrified|too scared|not safe|unsafe|dread\w*)\s+"
        r"(?:\w+\s+){0,2}(?:go|going|be|being|get|getting)\s+(?:back\s+)?home\b",
        r"\b(?:not safe|unsafe|do not feel safe|never feel safe|scared)\s+(?:at|in (?:my|our))"
        r"\s+(?:home|house|flat)\b",
        r"\b(?:home|house|flat)\s+(?:is|feels|is not|isnt)\s+(?:not\s+)?(?:safe|unsafe|hell|"
        r"scary|a nightmare)\b",
        rf"\b(?:bruises?|marks|burns|black eye|cuts)\b.{{0,40}}\b(?:my|her|his)\s+{_CARER}\b",
        rf"\b{_CARER}\b.{{0,30}}\b(?:left|leaves|gave|gives)\s+(?:me\s+|her\s+|him\s+)?"
        r"(?:bruises|marks|a black eye|burns)\b",
        r"\b(?:no food|nothing to eat|not eaten|have not eaten|havent eaten|no electric|"
        r"no heating|no gas)\b.{0,40}\b(?:days|mum|dad|parents|home|house|fridge|weeks?)\b",
        rf"\b{_CARER}\s+(?:is|are|has|have|s)?\s*(?:gone|left|not been home|been gone|not "
        r"come back|not came back|disappeared)\b.{0,30}\b(?:days|week|weeks|nights|alone|"
        r"no food|on my own)\b",
        r"\bleft (?:me|us) (?:alone|on (?:my|our) own|home alone)\b.{0,30}\b(?:days|nights|"
        r"week|no food|again)\b",
        rf"\b{_CARER}\b.{{0,25}}\b(?:threaten\w*|says?|said)\b.{{0,25}}\b(?:kill|hurt|hit|beat|"
        r"batter|stab|break my|put me in care|send me away)\b",
        rf"\b{_CARER}\b.{{0,30}}\b(?:locks? me|locked me|takes my phone and|will not let me "
        r"(?:eat|see|leave|go out)|wont let me (?:eat|see|leave|go out)|controls everything|"
        r"checks my phone and)\b",
        r"\b(?:domestic (?:abuse|violence)|dv at home|abusive (?:home|dad|mum|parents?|step "
        r"dad|household))\b",
        r"\b(?:fighting|arguing|screaming|fights)\b.{0,40}\b(?:hits|hit|hurt|hurts|throw\w*|"
        r"smash\w*|police came|violent|beat|beats|blood)\b.{0,20}\b(?:her|him|mum|my mum|"
        r"things|stuff|again|everything)\b",
        rf"\b(?:marks|bruises|burns|scars)\b.{{0,20}}\b{_CARER}\s+(?:left|gave|made)\b",
        r"\b(?:flinch\w*|walk on eggshells)\b.{0,40}\b(?:mum|dad|home|parents?)\b",
        r"\bemj(?:punch|hurt)\b.{0,40}\b(?:me|home|again|every night|mum|dad)\b",
        r"\b(?:mum|dad|step dad|step mum|boyfriend)\b.{0,20}\bemj(?:punch|hurt)\b",
    ),
    "sexual_harm": (
        # "her boyfriends mates make her link them and do stuff" (blind set S)
        r"\b(?:make|makes|made|making)\s+(?:her|me|him|us)\s+(?:link|meet|see|go with)\s+"
        r"(?:them|him|older men|men|his mates)\b.{0,20}\bdo (?:stuff|things)\b",
        # game currency or gifts for pictures or a video call (found on blind set W)
        r"\b(?:if i want|in exchange for|gives? me|gave me|buy me|bought me|offered me)\s+"
        r"(?:the |some |free |more )?(?:skins?|robux|v ?bucks|gems|coins|gift ?cards?)\b.{0,40}"
        r"\b(?:show (?:him|them|her)|send (?:him|them|her)? ?(?:pics|photos|nudes|a pic|a photo|"
        r"a video)|facetime|on cam|on camera|video call)\b",
        # taken to houses and left with men she does not know (a review's probe)
        r"\b(?:stay|sleep|go|stop)\w* (?:there |over )?with (?:older )?(?:men|guys|man|blokes)"
        r" (?:i|she|he|we|they) (?:do not|dont|does not|doesnt|did not|didnt|never) "
        r"(?:know|met)\b",
        r"\b(?:post|share|send|leak|expose)\w*\s+(?:them|it|dem|those|my \w+)\b.{0,50}"
        r"\b(?:unless|if i do not|if i dont|or else)\b.{0,30}\b(?:send|pay|give)\b",
        r"[£$]?\b\d+\b.{0,25}\bor (?:he|she|they) (?:posts?|shares?|sends?|leaks?)\b",
        r"\bour (?:little |special )?secret\b",
        r"\b(?:woke up|came round)\b.{0,60}\b(?:clothes (?:were |was )?off|naked|no clothes|"
        r"cannot remember|can not remember)\b",
        r"\b(?:comes?|came|coming|creeps?)\s+(?:in|into)\s+the\s+(?:room|bed)\b.{0,20}\bat night\b",
        r"\b(?:rape|raped|raping|rapist|sexual(?:ly)? (?:assault\w*|abus\w*|touch\w*|harass\w*)"
        r"|molest\w*|sexually exploit\w*|indecent\w*|sextort\w*|blackmail with nudes|"
        r"blackmailed with nudes|revenge porn|csa)\b",
        r"\b(?:touch\w*|grop\w*|fondl\w*|feel\w* me up|felt me up|rub\w* (?:against|on) me)\s+"
        r"(?:me|her|him|my (?:sister|brother|little \w+|body|chest|bum|privates|private parts|"
        r"boobs|legs?))\b",
        r"\b(?:touch\w*|grop\w*|hands?)\b.{0,30}\b(?:private|privates|down there|under my "
        r"(?:clothes|top|skirt)|where (?:he|she|they) should not|when no one is|when nobody is|"
        r"in my bed|at night|my chest|my bum)\b",
        rf"\b{_PICS}\b.{{0,60}}\b{_PICS_BAD}\b",
        rf"\b{_PICS_BAD}\b.{{0,40}}\b{_PICS}\b",
        r"\b(?:wants?|asking|asked|keeps? asking|begging|pressur\w*|made|make|making|forcing)\s+"
        r"(?:me\s+)?(?:for\s+|to send\s+|send\s+)?(?:pics|pictures|photos|videos|snaps|nudes)"
        r"\b.{0,40}\b(?:of me|body|naked|underwear|no clothes|sexy|private|shower|bed|"
        r"topless|in the bath)\b",
        r"\b(?:forced|pressured|made|make|makes|making|tried to make)\s+(?:me|her)\s+"
        r"(?:to\s+)?(?:have sex|do stuff|do things|do sexual|suck|touch (?:him|her|it)|"
        r"watch porn|sleep with|kiss (?:him|her)|go down|take my clothes off|undress)\b",
        rf"\b(?:he|she|they|a (?:man|guy|boy|girl|woman)|my (?:boyfriend|girlfriend|man)|"
        rf"this (?:man|guy))\s+(?:is|s)\s+{_OLDER}\b.{{0,60}}\b(?:i am|and i am|me)\s+{_YOUNG}\b",
        rf"\b(?:i am|im)\s+{_YOUNG}\b.{{0,60}}\b(?:he is|hes|she is|boyfriend is|man is|guy is|"
        rf"he s)\s+{_OLDER}\b",
        rf"\b(?:boyfriend|girlfriend|man|guy)\s+(?:who is|whos|who s|thats|that is)\s+{_OLDER}"
        rf"\b.{{0,60}}\b(?:{_YOUNG}|year [5-9]|school)\b",
        r"\b(?:met|talking to|chatting to|speaking to|this)\b.{0,40}\b(?:online|on (?:snap|"
        r"snapchat|insta|instagram|tiktok|discord|roblox|fortnite|xbox|ps\d?|whatsapp|an app|"
        r"a game|omegle))\b.{0,80}\b(?:hotel|come over to his|his house|his flat|his car|"
        r"pick me up|our secret|keep it (?:a )?secret|do not tell|dont tell|send (?:him|her) "
        r"pics|pics|nudes|mature for my age|years old|yr old|yrs old|meet up|meet me)\b",
        r"\b(?:1[0-5])\b.{0,40}\b(?:[2-5]\d) ?(?:year old|yr old|yrs old|yo)\b|"
        r"\b(?:[2-5]\d) ?(?:year old|yr old|yrs old|yo)\b.{0,40}\b(?:1[0-5]|year [5-9])\b",
        rf"\b(?:older|grown) (?:man|men|guy|guys|bloke)\b.{{0,60}}\b(?:{_YOUNG}|she is 1[0-5]|"
        rf"he is 1[0-5]|shes 1[0-5])\b",
        r"\b(?:mature for (?:my|your|her) age|our (?:little )?secret|no one will believe "
        r"(?:me|you)|nobody will believe (?:me|you))\b",
        r"\b(?:comes?|came|coming|gets?|got|creeps?)\s+(?:in|into)\s+(?:my|her|his)\s+(?:room|"
        r"bed)\b.{0,40}\b(?:at night|when|while|and|every)\b",
        r"\b(?:leaves?|left|takes?|took|drops?|dropped)\s+(?:me|her)\s+(?:at|in|with)\b.{0,40}"
        r"\b(?:men|older men|guys|strangers|his mates|his friends|people i do not know|"
        r"men i do not know)\b",
        r"\b(?:too drunk|passed out|was asleep|was unconscious|spiked)\b.{0,60}\b(?:he|they|she)"
        r"\b.{0,30}\b(?:did not stop|didnt stop|had sex|touched|did stuff|did things|took "
        r"advantage|on top of me)\b",
        r"\b(?:said no|say no|saying no)\b.{0,40}\b(?:did not stop|didnt stop|kept going|"
        r"carried on|anyway|still)\b",
        r"\b(?:took advantage of me|did stuff to me|did things to me|did it to me)\b",
        r"\b(?:pressured|pressuring|pushed|guilted|forced|made)\s+(?:me\s+)?into\s+(?:sex|"
        r"sleeping with|doing stuff|doing things|sending)\b",
        r"\b(?:dick|nude|naked|sexual|explicit)\s+(?:pic|pics|photo|photos|video|videos)\b",
        r"\b(?:comes?|came|walks?|walked|barges?)\s+(?:in|into)\s+(?:the|my)\s+(?:bathroom|"
        r"shower|toilet)\b.{0,40}\b(?:shower\w*|naked|chang\w*|bath)\b",
        r"\b(?:asking|asks|asked|wants?)\s+(?:me\s+)?(?:for\s+)?(?:pics|nudes|photos)\b.{0,40}"
        r"\b(?:leave me|dump me|break up|if i do not|if i dont|or else|or he|or she)\b",
        r"\bemjpic\b.{0,40}\b(?:emjadult|emjbody|everyone|gc|group|send|sending|money|"
        r"emjmoney|wants|or)\b",
        r"\b(?:emjadult|emjbody)\b.{0,40}\b(?:emjpic|wants|me|send|pics)\b",
    ),
    "hurting_others": (
        r"\bemj(?:gun|knife)\s+emjrun\b.{0,20}\btonight\b",
        # "hes getting dealt with", "ride out on the opps" (blind set S)
        r"\b(?:he is|they are|he will be|they will be)\s+(?:getting|going to get|about to get)"
        r"\s+dealt with\b",
        r"\b(?:ride (?:out )?|go and attack )on (?:the rivals|them|him|their (?:ends|block|"
        r"estate|area))\b",  # the floor reads "ride out" as "go and attack"
        # "smash his head in", "cave his face in" (found on blind set J)
        r"\b(?:smash|cave|kick|bash|knock|stamp)\w*\s+(?:his|her|their|them|him|that \w+s)\s+"
        r"(?:head|face|skull|teeth)\s+in\b(?!\s+(?:at|on|in)\s+(?:fifa|tekken|fortnite|cod|"
        r"warzone|gta|smash|street fighter|mortal kombat|the game|a game|ranked))",
        r"\b(?:want|wanna|going|gonna|i will|could)\s+(?:to\s+)?(?:kill|stab|hurt|murder)\s+my\s+"
        r"(?:step dad|step mum|mum boyfriend|uncle|dad)\b(?!\s+(?:at|in) )",
        r"\b(?:thoughts|thinking|fantasi\w*|dream\w*)\b.{0,20}\b(?:about|of)\s+(?:really\s+)?"
        r"(?:hurting|killing|stabbing|shooting)\s+(?:people|someone|them|him|her|others|kids)\b",
        r"\bmake (?:him|her|them|that \w+|the \w+) bleed\b",
        r"\b(?:will|is going to|are going to)\s+(?:\w+\s+)?(?:kill|stab|shoot)\s+(?:him|her|them)\b"
        r"(?!\s+(?:in|on) (?:fifa|fortnite|cod|warzone|the game|game))",
        r"\bmake sure (?:he|she|they) (?:do not|does not|doesnt|dont|never) (?:get up|walk "
        r"again|wake up)\b",
        r"\b(?:which way|what time|where) (?:he|she|they) (?:walks?|goes|gets)\b.{0,60}\b(?:right "
        r"moment|get him|catch him|alone|when he is alone)\b",
        r"\b(?:feel like|felt like|thinking about|think about)\s+(?:killing|stabbing|shooting|"
        r"hurting|murdering|battering)\s+(?:him|her|them|my \w+|someone|somebody|that \w+|"
        r"the \w+)\b",
        r"\b(?:i am|i will|ill|i|we|we will|we are|going to|want to|wants to|about to|trying to|"
        r"says he will|said he will|says they will|is going to|are going to|"
        r"need to|got to|have to|gotta|ready to|planning to|plan to|gonna|finna|i swear i will|"
        r"i swear ill)\s+(?:\w+\s+){0,2}(?:kill|stab|knife|shoot|murder|wet|batter|jook|"
        r"hurt|beat up|smash up|end|do|cut|bang|merk|slice|splash|poke)\s+(?!\w+ off\b)"
        rf"(?!(?:this|that|the) {_NOT_PEOPLE}\b)(?:him|her|them|"
        r"that \w+|this \w+|the rivals|rivals|man|dem|someone|the (?:boy|boys|guy|guys|man|"
        r"men|girl|girls|kid|kids|one|ones|lot|yute|youth|bloke|brother|olders?|other side)|"
        r"somebody|whoever|one of (?:them|theirs)|his \w+|him up|them up)\b(?!\s+off\b)"
        r"(?!\s+(?:in|on) (?:fifa|fortnite|cod|warzone|the game|game|ranked|2k|chess|the exam|"
        r"a favour|a favor)\b)",
        r"\b(?:revenge|get (?:him|them|man|dem) back|pay (?:him|them) back|retaliat\w*|"
        r"ride (?:on|out on) (?:them|him|the rivals)|slide on (?:them|him|the rivals)|"
        r"spin (?:the|their) block|not letting it slide|wont let it slide|will not let it slide|"
        r"my turn to hurt|eye for an eye)\b",
        r"\b(?:want|wanna|going|gonna|about|ready|tempted|urge)\s+to\s+(?:\w+\s+)?(?:hurt|kill|"
        r"stab|shoot|attack)\s+(?:someone|somebody|people|him|her|them|a \w+)\b",
        r"\b(?:will not|wont|is not going to|aint going to)\s+(?:see|make it "
        r"to|last till|live to see)\s+(?:christmas|tomorrow|next week|his birthday|the "
        r"weekend|summer)\b",
        r"\b(?:going to|gonna|will) regret it\b.{0,30}\b(?:knife|blade|weapon|alone|lives|"
        r"address|house)\b|\b(?:know|got) (?:where|his) (?:he lives|address)\b.{0,60}"
        r"\b(?:regret|get him|going round|tonight|sharp|knife|laughing)\b",
        r"\b(?:going|coming|go|pull up|pulling up|going round)\s+(?:round\s+)?(?:there|to his|"
        r"to their|on them|on him)\b.{0,30}\b(?:tonight|with (?:a|my|the) "
        r"(?:knife|blade|ting|strap|bat)|sharp)\b",
        r"\b(?:him|them|rivals|opps)\b.{0,20}\bemj(?:knife|gun)\b|\bemj(?:knife|gun)\b.{0,20}"
        r"\b(?:him|them|rivals|opps|his house|revenge)\b",
        r"\bemjat\b.{0,10}\bemj(?:knife|gun)\b",
    ),
    "weapon_carrying": (
        r"\b(?:kitchen drawer|from the kitchen)\b.{0,60}\b(?:bag|pocket|jacket|just in case|on me|"
        r"protection|out with)\b",
        r"\b(?:moving|going out|walking|roll\w*)\s+(?:round\s+)?with\s+(?:something|"
        r"a (?:knife|blade|ting|shank|strap|bora))\b",
        r"\bcheck(?:ed)? my (?:sock|bag|waistband|pocket)\b.{0,40}\b(?:on me|have it|got it)\b|"
        r"\b(?:have|got|keep)\s+it\s+on me\s+every\s*day\b",
        r"\b(?:i|i have|i am|should i|do i need to|need to)\s+(?:started\s+)?(?:carry|carrying|"
        r"carried|bring|bringing|buy|bought|get|got|keep|keeping)\s+(?:a|my)\s+(?:knife|gun|"
        r"weapon|strap)\b.{0,30}\b(?:protection|protect myself|to be safe|safe|scared|"
        r"just in case)\b",
        rf"\b(?:carry|carrying|carried|carries|started carrying|start carrying|carrying round|"
        rf"walk about with|walking round with|walk around with|go out with|bring|bringing|"
        rf"brought|take|taking|took|keep|keeping|kept|hold|holding|got|have|buy|buying|bought|"
        rf"get|getting|need|hide|hiding)\s+(?:a|my|his|her|the|one|one of|a big|a little|this|"
        rf"an|some)?\s*{_WEAPON}\b.{{0,50}}\b{_CARRY_WHY}",
        rf"\b(?:carry|carrying|carries|carried|started carrying|start carrying)\s+(?:a|my|his|"
        rf"her|the|one|an|round|around)?\s*{_WEAPON}\b",
        rf"\b{_WEAPON}\b.{{0,20}}\b(?:in my (?:bag|pocket|waistband|coat|jacket|sock|sleeve|"
        rf"trackies|school bag|locker|room|waist)|on me|under my (?:pillow|bed|mattress)|"
        rf"in (?:his|her) (?:bag|school bag|pocket|waistband|waist|room|jacket|coat))\b",
        rf"\b(?:takes?|took|taking|brings?|bringing)\s+(?:a|his|her|my)\s+{_WEAPON}\s+"
        rf"(?:out|to school|with (?:him|her|me))\b",
        r"\b(?:everyone|everybody|all my mates|man dem)\b.{0,30}\b(?:has|have|got|carries|"
        r"carry)\s+(?:something|one|a knife|a blade|a ting)\b.{0,40}\b(?:on them|me too|"
        r"not going to be|without)\b",
        r"\b(?:keep|kept|keeping|hide|hiding)\s+(?:it|one|something)\s+in\s+my\s+(?:jacket|"
        r"coat|pocket|bag|waistband|sock)\b.{0,30}\b(?:go out|out|school|just in case)\b",
        r"\b(?:carrying a gun|carrying a weapon|armed)\b(?!\s+forces)",
        rf"\b(?:feel|feeling|i am|be|stay)\s+(?:safer|safe)\s+with\s+(?:a|my|something|"
        rf"{_WEAPON})\b",
        r"\b(?:something|one)\s+(?:sharp\s+)?(?:on (?:me|him|them)|in (?:my|his) (?:pocket|bag|"
        r"jacket|waistband))\b.{0,40}\b(?:just in case|protection|safe|out|go out|leave the "
        r"house|everyone)\b|\bwithout something (?:on me|in my pocket|sharp)\b",
        r"\b(?:need|want|getting|get|got|buy|buying)\s+(?:a|an|my)\s+(?:strap|skeng|nine|9mm|"
        r"zombie knife|machete|shank|flick knife)\b(?!\s+for (?:my|the|a) (?:bag|watch|"
        r"guitar|camera|phone|dog))",
        r"\b(?:should|do|shall|can|could|would) i (?:get|carry|buy|take|bring|start carrying|"
        r"keep) (?:a|an|my)\s+(?:knife|blade|strap|gun|weapon|shank|machete)\b",
        r"\b(?:stay|staying|always|never leave|never go out|go everywhere)\s+with\s+(?:a|my)\s+"
        r"(?:knife|blade|strap|ting|weapon|skeng)\b",
        r"\bwithout\s+(?:my|a|me)\s+(?:knife|blade|strap|ting|weapon|skeng)\b",
        r"\b(?:where|how) (?:can|do|could) i (?:get|buy)\s+(?:a|an)\s+(?:knife|blade|gun|"
        r"strap|weapon|zombie knife|machete|pepper spray|knuckle ?duster)\b",
        r"^(?!.*\b(?:bed ?wars|minecraft|roblox|fortnite|hypixel|gn)\b).*\bemjknife\s+emjbed\b",
        r"\bemj(?:knife|gun)\b.{0,30}\b(?:emj(?:bag|coat|pocket)|bag|pocket|on me|carry|"
        r"carrying|protection|school|just in case|waistband|safer|everyday)\b",
        r"\bemj(?:bag|coat|pocket)\b.{0,10}\bemj(?:knife|gun)\b",
    ),
    "running_away": (
        # sofa surfing said another way, and no one to stay with (found on blind set J)
        r"\b(?:sleeping|slept|staying|stayed|moving|bouncing|been)\s+(?:from\s+)?"
        r"(?:couch|sofa|settee|floor) to (?:couch|sofa|settee|floor)\b",
        r"\b(?:no ?one|nobody|no where|nowhere)\s+(?:to stay with|to stay at|to take me in|"
        r"will take me in)\b(?!\s+(?:this|next|at|for|on|during|over) )",
        r"^(?:(?:i|i have|i was|just|got|been|i got|i been|i just got) )?(?:kicked|chucked|"
        r"thrown|turfed) out(?: again| tonight| right now| now)?$",  # the whole message
        r"\b(?:got|been|was|get|getting|has been)\s+(?:kicked|chucked|thrown|turfed)\s+out\b"
        r"(?!\s+of (?:the )?(?:school|class|lesson|club|shop|game|group|gc|chat|team|party|college|"
        r"uni|lobby|cinema))",
        r"\b(?:have|ve|i have|i ve)?\s*got nowhere\b",
        r"\b(?:cannot|can not|cant) go back (?:there|home)\b|\bnight bus (?:till|until|all) "
        r"(?:morning|night)\b",
        r"\b(?:putting|put|throwing|threw|chucked|chucking)\s+my\s+(?:stuff|things|clothes|bags?)\s+"
        r"(?:on the street|outside|out the window|out)\b",
        r"\bbounc\w* from (?:home|my home)\b",
        r"\b(?:been gone|gone missing|missing)\s+(?:for\s+)?(?:\d+|two|three|a few|couple of)"
        r" days\b",
        r"\bemjbus\b.{0,5}\bemjsleep\b",
        r"\bemjbed\b\W{0,5}(?:got|been|was) (?:chucked|kicked|thrown|turfed)\b",
        r"\bemj(?:bed|home)\s+emjno\b.{0,20}\bemjcold\b",  # no bed, and cold (set W)
        r"\b(?:i|i am|i will|ill|going to|want to|wanna|thinking (?:of|about)|gonna|might|"
        r"planning to|plan to|about to|have|already|just|we|should i|i have|i just|i might|"
        r"i keep thinking about)\s+(?:\w+\s+){0,2}(?:run|running|ran)\s+(?:away|off)\b"
        r"(?!\s+(?:from (?:the|a) (?:dog|fox|bee|spider|wasp|ball|question)|with (?:the|my) "
        r"(?:win|game|title|lead)))",
        r"\b(?:kicked|kick|kicks|chucked|thrown|threw|put|turfed|locked)\s+(?:me|him|her|us)\s+"
        r"out\b(?!\s+of (?:the )?(?:group|gc|chat|class|lesson|school|team|game|lobby|club|"
        r"shop|party))",
        r"\b(?:kicked|chucked|thrown|turfed)\s+out\b.{0,30}\b(?:home|house|flat|mum|dad|"
        r"parents|nowhere|tonight|street)\b",
        r"\b(?:nowhere|no where|no place|nowhere safe|no safe place|nowhere else)\s+(?:to\s+|"
        r"i can\s+)?(?:sleep|stay|go|live|crash)\b",
        r"\b(?:do not|dont) know where (?:to|i will|ill|i am going to) (?:sleep|stay|go|live)\b",
        r"\b(?:sleeping|slept|sleep|stay|staying|stayed|spend the night|spent the night)\s+"
        r"(?:on the streets?|rough|in (?:a|the) (?:park|stairwell|bus station|"
        r"station|car|mcdonalds|stairs|garage)|on (?:a|the) (?:bus|night bus|bench|"
        r"stairs|street))\b(?!\s+(?:tonight for|at (?:my|a) (?:mates|friends)))",
        r"\b(?:sofa ?surf\w*|homeless|rough sleep\w*|on the streets)\b",
        r"\b(?:sleeping|slept|sleep|sleeps) (?:out|outside)\b(?!\s+(?:at|in) (?:a|my|the|his|her) "
        r"(?:mates|friends|tent|garden|cousins|nans))",
        r"\b(?:left|leaving|leave|walked out of|walk out of|walking out of|run from)\s+home\b"
        r"(?!\s+(?:at|by|early|for school|for work|late))",
        r"\b(?:cannot|can not|cant|not allowed to|not going|never going|will never go|wont go|"
        r"will not go)\s+(?:go\s+)?(?:back\s+)?home\b",
        r"\b(?:packed|packing|pack)\s+(?:my|a)\s+(?:bag|bags|stuff|things)\b.{0,50}\b(?:leav\w*|"
        r"go|going|not coming back|never coming back|run|away|done|tonight|not telling)\b",
        r"\b(?:never|not) coming (?:back|home)\b",
        r"\b(?:changed the locks|locked me out|locked out)\b.{0,40}\b(?:mum|dad|home|tonight|"
        r"nowhere|freezing|cold)\b",
        r"\bmissing\b.{0,25}\b(?:from home|police (?:are|r) looking)\b",
        # shut out by family, and asking where to sleep (found on blind set V)
        r"\b(?:mum|dad|mother|father|parents?|step (?:dad|mum)|carers?|foster \w+|nan|nana|gran|"
        r"grandma|grandad|grandparents|uncle|aunt|auntie|guardian)\b.{0,20}\b(?:will not|"
        r"would not|does not|did not|never|refuses? to|refused to) let (?:me|you|us) "
        r"(?:back (?:in|inside|home)\b|in(?:side)?$)",
        r"\bwhere (?:can|could|should|am) (?:i|you|we) (?:going to |supposed to )?(?:sleep|kip)"
        r"\b(?! (?:over|at (?:the )?(?:festival|camp|sleepover)|(?:on|in) (?:the|a) (?:plane|"
        r"train|flight|coach|ferry|car|tent|trip)))",
        r"\b(?:my|our) (?:\w+ ){0,2}(?:sister|brother|bro|sis|mate|friend|cousin|son|daughter|"
        r"kid|child)\s+(?:has\s+|just\s+)?(?:ran|run|has run)\s+(?:away|off)\b",
        r"\b(?:not|never) (?:come|coming|go|going) (?:back|home)\b",
        r"\bif (?:you|u|i) (?:have|got|has) nowhere\b|\bsleep in (?:a|the) (?:24 ?hr|24 hour)\b",
        r"\bemjhome\b.{0,10}\bemjno\b|\bemjbag\b.{0,10}\bemj(?:run|door)\b|"
        r"\bemjrun\b.{0,10}\bemjdoor\b|"
        r"\bemjdoor\b.{0,20}\b(?:not coming back|done with home|leaving|packed)\b",
        # no bed, but not no sleep ("🛌❌🌙 cant sleep", a review's probe)
        r"\bemjbed\b.{0,10}\bemjno\b(?!.{0,40}\b(?:can not sleep|cannot sleep|cant sleep|"
        r"all nighter|awake|insomnia|revis\w*|essay|homework|exams?|game|gaming|fortnite|"
        r"netflix|tired)\b)",
        r"\b(?:done with|sick of|hate) (?:home|living here|this house)\b.{0,40}\b(?:leav\w*|"
        r"go|going|run|tonight|bag)\b",
    ),
    "self_harm": (
        r"\bdoin\w* sh\b|\bdoing sh again\b|\b(?:arms|wrists|legs|thighs) (?:are|is) "
        r"(?:mash up|mashed up|mashed|cut up|a mess)\b",
        r"\bpills?\b.{0,30}\b(?:lined up|ready|counted|saved up)\b.{0,20}"
        r"\b(?:tonight|tomorrow|later)\b",
        r"\bgot the (?:razor|blade|sharpener)\s+out\b|"
        r"\b(?:razor|blade|sharpener)\s+(?:back\s+)?out\s+again\b",
        r"\bemj(?:blood|knife)\b.{0,20}\bemj(?:knife|blood)\b.{0,20}\b(?:again|emjsad)\b",
        r"\b(?:thinking (?:about|of)|think about)\s+(?:overdosing|taking an overdose|od ing)\b",
        r"\blong sleeves\b.{0,60}\b(?:arms|cuts|scars|no one sees|nobody sees|hide)\b"
        r"(?!.{0,40}\b(?:dad|mum|step dad|parents?|carer|uncle|brother)\b)",
        r"\b(?:after tonight|after today|wont have to worry about me|will not have to worry "
        r"about me|this is my last|my last message|finally (?:did it|do it|going to do it)|"
        r"thanks for everything)\b.{0,60}\b(?:tonight|bye|goodbye|forever|worry|anymore|"
        r"did it|after)\b",
        r"\b(?:if i stop replying|if i do not reply|if i disappear|if you do not hear from me)"
        r"\b.{0,60}\b(?:did it|done it|gone|dead|finally)\b",
        r"\bemj(?:bridge|grave|rope|pills)\b.{0,60}\b(?:tonight|soon|bye|goodbye|last|forever|"
        r"done|over|cannot|end|never|miss me|sorry|emjgrave|emjdrink)\b",
        r"\b(?:tonight|bye|goodbye|last|forever|done|sorry)\b.{0,40}\bemj(?:bridge|grave|rope)"
        r"\b",
        r"\bemj(?:knife|blood)\b.{0,30}\b(?:arm|arms|wrist|wrists|leg|legs|thigh|thighs|"
        r"myself|skin)\b",
        r"^\s*emjknife\s+(?:emj(?:sad|scared)\s*)+$",
        r"\bemjsad\s+emjat\s+emj(?:grave|bridge|rope|pills)\b",  # sad, then a grave
        # "nothing to look forward to" (a review's probe)
        r"\b(?:nothing|no thing)\s+(?:left\s+)?to (?:look forward to|live for)\b(?! (?:this|"
        r"next|at|in|on|for|until|till|except|tomorrow|today|tonight|the weekend)\b)",
        r"\bemj(?:pills)\b.{0,20}\bemjpills\b.{0,20}\bemj(?:pills|grave|drink)\b",
    ),
    "emergency": (
        r"\b(?:got|has|holding)\s+something in (?:his|her|their) hand\b",
        r"\b(?:gone|going|is|looks?)\s+(?:all\s+)?(?:floppy|grey|gray|limp)\b",
        r"\bemjsos\b",
        r"\bemj(?:knife|gun|blood)\b.{0,40}\b(?:now|right now|help|emjambulance|ambulance|"
        r"outside|door|coming|here|down|not waking|not moving)\b",
        r"\bemj(?:run)\b.{0,10}\bemj(?:knife|gun)\b",
        r"\bemjambulance\b.{0,20}\b(?:now|help|quick|emjambulance)\b",
    ),
    "exploitation": (
        r"\b(?:sent|sending|send|getting sent)\s+(?:me\s+)?(?:out\s+)?to\s+\w+\s+to\s+(?:sell|deal|"
        r"shot|drop|deliver)\b",
        r"\busing (?:me|him|her|us) as (?:a |their )?(?:runner|lookout|look out|mule|courier)\b",
        r"\b(?:carries|carry|carrying|holds?|holding|keeps?|stash\w*)\s+(?:drugs|coke|weed|food|"
        r"white|brown|packs?|crack|bags)\b.{0,40}\bfor (?:her|his|my|their|the|some) \w+",
        r"\bwork (?:it|the debt|that) off\b",
        r"\b(?:moved into|staying at|taken over|took over|using)\s+(?:my|our|her|his)\s+(?:\w+\s+)?"
        r"(?:flat|house|place|home)\b.{0,60}\b(?:knocking|people coming|all night|selling|scared|"
        r"dealing)\b",
        r"\b(?:two|2|second|new|extra|burner|another)\s+phones?\b.{0,60}\b(?:cash|money|"
        r"trainers|will not explain|wont explain|going missing|older|rings at|ringing)\b",
        r"\b(?:cash|money|new trainers|designer \w+)\b.{0,60}\b(?:will not explain|wont "
        r"explain|going missing|missing for days|owes someone|owes them)\b",
        r"\b(?:going|goes|keeps going|went)\s+missing\b.{0,60}\b(?:trainers|cash|money|owes|"
        r"black eye|phones?|older)\b",
        r"\b(?:running|run|holding|hold|on)\s+(?:a|the|his|their)\s+(?:line|trap line|"
        r"deal line|phone line)\b",
        r"\btrain ticket\b.{0,80}\b(?:sell|till (?:it is|its) (?:all )?gone|drop|package|bag|"
        r"not to come back)\b",
        r"\bowe (?:them|him|the older gang members|older gang members)\b.{0,40}\b(?:have to|"
        r"got to|make me|making me|carry|sell|run|hold|work|do runs)\b",
        r"\bemj(?:train|package|pills)\b.{0,40}\b(?:emj(?:money|house)|older|"
        r"cannot stop|will not let me|owe)\b",
        r"\b(?:owe|debt)\b.{0,20}\bemjmoney\b",
    ),
    "threatened": (
        r"\b(?:they|he|she|kids|boys|man|people|someone)\s+(?:will|are going to|is going to|"
        r"going to|said they will|said he will)\s+(?:break|smash|snap)\s+(?:his|her|my|your)\s+"
        r"(?:legs?|arms?|face|jaw|head|knees?)\b",
        r"\b(?:rivals|they|people|he)\s+(?:know|knows)\s+(?:my|where my)\s+(?:home|house|address|"
        r"road|school|block|flat)\b",
        r"\b(?:sent|posted|sending)\b.{0,20}\b(?:pic|photo|picture|video)\b.{0,10}\bof my (?:front "
        r"door|house|road|street|school|block|flat|mum)\b",
        r"\b(?:kill|stab|shoot|wet|murk)\s+me\s+on sight\b",
        r"\b(?:i am|i feel like i am|i think i am|i feel i am|we are|i might be|i could be)\s+"
        r"(?:really\s+|so\s+|actually\s+)?(?:in danger|not safe|unsafe)\b",
        r"\bemj(?:knife|gun|grave)\b.{0,30}\b(?:dms|dm|my door|front door|my house|my address|"
        r"emjhome|emjpin|tomorrow|said|sent|msgs|messages|texts|story|comments)\b",
        r"\b(?:sent|sending|dms?|msgs|messages|texts|comments)\b.{0,20}\bemj(?:knife|gun|grave)\b",
        r"\bemjgun\b.{0,10}\bemjat\b.{0,10}\bme\b",
        # a price on a head in emoji: a target, money and a weapon (found on blind set N)
        r"\bemjtarget\b.{0,20}\bemjmoney\b.{0,20}\bemj(?:knife|gun)\b",
        # a weapon pointed or held at the writer ("pointed a real gun at me"): a review's probes
        r"\b(?:point|pointed|pointing|points|held|holding|holds|put|putting)\s+(?:(?:a|the|his|her|"
        r"their|that|this)\s+(?:\w+\s+){0,2}(?:gun|knife|blade|machete|weapon|pistol|rifle|"
        r"bat|screwdriver|hammer)|it)\s+(?:at|to|against)\s+(?:my (?:head|face|chest|neck|"
        r"throat))\b",
        r"\b(?:point|pointed|pointing|points)\s+(?:a|the|his|her|their|that|this)\s+(?:\w+\s+){0,2}"
        r"(?:gun|knife|blade|machete|weapon|pistol|rifle)\s+at\s+(?:me|us)\b",
        r"\bemjgun\s+emjat\s+(?:you|your|you are|youre)\b.{0,6}\b(?:dead|next|done|finished)\b",
        # strangers asking where the writer lives (blind set S)
        r"\b(?:randoms|strangers|people i do not know|they|man dem|rivals)\b.{0,30}\b(?:asking|"
        r"asked|ask|asks)\s+(?:me\s+)?(?:what|which)\s+(?:estate|ends|road|street|block|"
        r"school|area)\s+i (?:am|live|stay)\s+(?:on|in|at|from)\b",
        # a short message that someone did it to the writer: "he choked me", "they beat me
        # up", "got jumped" (a review's probes); the learned layer names the kind when sure
        r"^(?:he|she|they|someone|somebody|some (?:man|guy|boy|boys|girl|girls|people|lads)|"
        r"a (?:man|guy|boy|girl|lad)|my (?:\w+ )?(?:mum|dad|brother|sister|bf|boyfriend|gf|"
        r"girlfriend|ex|step dad|stepdad|uncle|cousin))\s+(?:just\s+|has\s+|have\s+)?"
        r"(?:choked|strangled|punched|hit|beat|battered|jumped|grabbed|pushed|slapped|"
        r"attacked|forced|kicked|stabbed|burnt|burned|headbutted|smacked|assaulted)\s+me\b",
        r"^(?:i\s+)?(?:just\s+)?(?:got|been|was|have been)\s+(?:jumped|beaten up|battered|"
        r"attacked|mugged|robbed|stabbed|slashed|choked|strangled|assaulted)(?:\s+(?:again|today|"
        r"tonight|earlier|last night|after school))?$",
    ),
}
