"""The equipment vocabulary the tree generator draws from: component kinds and eight equipment domains.

A component *kind* (motor, valve, sensor, ...) knows how a technician tests it and how it fails: a component
check with its observations, and failure modes (the basic events) each with its own check, observations and
fixes. A *domain* lists subsystems of one kind of equipment, each with its own symptom check and components.
Texts use ``{c}`` for the component's name.
"""

from __future__ import annotations

from typing import NamedTuple


class Mode(NamedTuple):
    label: str
    instruction: str
    normal: str
    abnormal: tuple[tuple[str, str], ...]  # (observation, fix)


class Kind(NamedTuple):
    instruction: str
    normal: str
    abnormal: tuple[str, ...]
    gate: str  # gate over the failure modes: XOR where the modes exclude each other
    modes: tuple[Mode, ...]


KINDS: dict[str, Kind] = {
    "motor": Kind(
        "Switch on the {c} and watch it run", "the {c} starts and runs smoothly",
        ("the {c} hums but does not turn", "the {c} does not make any sound at all"), "OR", (
            Mode("{c} winding open", "Measure the winding resistance of the {c} with power isolated",
                 "all three windings read a balanced resistance",
                 (("one winding reads open circuit", "replace"),)),
            Mode("{c} bearings seized", "Turn the {c} shaft by hand with power isolated",
                 "the shaft turns freely and quietly",
                 (("the shaft is stuck solid", "replace"), ("the shaft turns but grinds and feels dry", "lubricate"))),
            Mode("{c} terminal connection loose", "Inspect the terminal box of the {c}",
                 "all terminals are tight and clean",
                 (("a terminal lug is loose and discoloured", "tighten"),)),
        )),
    "pump": Kind(
        "Read the discharge gauge of the {c} while it runs", "the {c} delivers its rated discharge pressure",
        ("the discharge pressure of the {c} is far below rated", "the {c} runs but the gauge stays at zero"), "OR", (
            Mode("{c} impeller worn", "Open the {c} casing and inspect the impeller",
                 "the impeller vanes are intact", (("the impeller vanes are eroded", "replace"),)),
            Mode("{c} suction blocked", "Check the suction line and strainer of the {c}",
                 "the suction strainer is clear", (("the suction strainer is clogged with debris", "clean"),)),
            Mode("{c} air-locked", "Open the bleed screw on the {c} casing",
                 "liquid comes out straight away", (("air hisses out before any liquid", "flush"),)),
        )),
    "valve": Kind(
        "Command the {c} open and closed and watch its position indicator",
        "the {c} follows the command in both directions",
        ("the {c} position does not change", "the {c} only moves part of the way"), "XOR", (
            Mode("{c} stuck closed", "Command the {c} fully open and measure flow through it",
                 "flow is at the expected rate", (("there is no flow through the {c}", "repair"),)),
            Mode("{c} stuck open", "Command the {c} closed and check for flow",
                 "flow stops completely", (("flow continues with the {c} commanded closed", "repair"),)),
            Mode("{c} actuator failed", "Measure the control signal at the {c} actuator",
                 "the signal reaches the actuator and it responds",
                 (("the signal is present but the actuator does not respond", "replace"),)),
        )),
    "sensor": Kind(
        "Compare the {c} reading with a handheld reference instrument",
        "the {c} agrees with the reference within tolerance",
        ("the {c} reading is far off the reference", "the {c} reading is frozen"), "OR", (
            Mode("{c} drifted out of calibration", "Run the calibration check on the {c}",
                 "the {c} passes the calibration check",
                 (("the {c} is offset by a constant error", "recalibrate"),)),
            Mode("{c} cable damaged", "Inspect the cable and plug of the {c}",
                 "the cable and plug are undamaged",
                 (("the cable insulation is chafed through", "repair"), ("the plug is half pulled out", "reconnect"))),
            Mode("{c} element failed", "Measure the {c} element's output with a multimeter",
                 "the element output is within its datasheet range",
                 (("the element output is open circuit", "replace"),)),
        )),
    "relay": Kind(
        "Energise the {c} coil and listen for it to pull in", "the {c} clicks in and the load is switched",
        ("the {c} does not click in", "the {c} chatters rapidly"), "XOR", (
            Mode("{c} coil open", "Measure the coil resistance of the {c}", "the coil resistance is normal",
                 (("the coil reads open circuit", "replace"),)),
            Mode("{c} contacts welded", "Check continuity across the {c} contacts with the coil de-energised",
                 "the contacts are open when de-energised", (("the contacts stay closed", "replace"),)),
            Mode("{c} contacts pitted", "Inspect the {c} contact faces", "the contact faces are clean and flat",
                 (("the contact faces are burnt and pitted", "clean"),)),
        )),
    "fuse": Kind(
        "Measure the voltage on both sides of the {c}", "the same voltage is present on both sides of the {c}",
        ("there is voltage upstream of the {c} but none downstream", "the {c} has tripped"), "OR", (
            Mode("{c} blown", "Remove the {c} and check its continuity", "the {c} has continuity",
                 (("the {c} is open", "replace"),)),
            Mode("{c} holder corroded", "Inspect the {c} holder", "the holder contacts are bright and tight",
                 (("the holder contacts are green with corrosion", "clean"),)),
            Mode("{c} nuisance tripping", "Reset the {c} and watch it under load", "the {c} holds under load",
                 (("the {c} trips again within seconds", "reset"), ("the {c} trips after a few minutes", "adjust"))),
        )),
    "wiring": Kind(
        "Check continuity along the {c}", "the {c} has continuity on every conductor",
        ("one conductor of the {c} is open", "the {c} shows an intermittent connection"), "OR", (
            Mode("{c} connector loose", "Wiggle-test the connectors of the {c}", "the connectors are firmly seated",
                 (("a connector is loose and the signal drops out", "reconnect"),)),
            Mode("{c} chafed", "Inspect the routing of the {c}", "the insulation is intact along the whole run",
                 (("the insulation is worn through where it rubs a bracket", "repair"),)),
            Mode("{c} terminal corroded", "Inspect the terminals of the {c}", "the terminals are clean",
                 (("the terminals are corroded", "clean"),)),
        )),
    "belt": Kind(
        "Watch the {c} with the drive running", "the {c} runs true without slipping",
        ("the {c} slips and squeals", "the {c} is off its pulleys"), "OR", (
            Mode("{c} worn", "Inspect the {c} surface", "the {c} surface is intact",
                 (("the {c} is cracked and glazed", "replace"),)),
            Mode("{c} tension low", "Measure the deflection of the {c} at mid-span", "the deflection is within spec",
                 (("the {c} deflects far more than spec", "tighten"),)),
            Mode("{c} pulley misaligned", "Lay a straight edge across the pulleys of the {c}",
                 "the pulleys line up", (("the pulleys are visibly out of line", "adjust"),)),
        )),
    "filter": Kind(
        "Measure the pressure drop across the {c}", "the pressure drop across the {c} is within limits",
        ("the pressure drop across the {c} is very high", "there is no pressure drop across the {c} at all"), "XOR", (
            Mode("{c} clogged", "Remove and inspect the {c} element", "the element is clean",
                 (("the element is caked with dirt", "replace"), ("the element is dusty but intact", "clean"))),
            Mode("{c} bypassed", "Inspect the {c} bypass and seal", "the element is seated and the bypass shut",
                 (("the element is torn and flow bypasses it", "replace"),)),
        )),
    "seal": Kind(
        "Inspect around the {c} for leaks with the system pressurised", "the {c} is dry",
        ("fluid is weeping from the {c}", "fluid is spraying from the {c}"), "OR", (
            Mode("{c} worn", "Remove and inspect the {c}", "the {c} lip is intact",
                 (("the {c} lip is worn flat", "replace"),)),
            Mode("{c} housing bolts loose", "Check the torque on the {c} housing bolts", "the bolts are at torque",
                 (("several bolts are loose", "tighten"),)),
        )),
    "controller": Kind(
        "Read the status LEDs and fault log of the {c}", "the {c} shows a healthy status with no faults logged",
        ("the {c} shows a fault code", "the {c} status LED is dark"), "OR", (
            Mode("{c} firmware fault", "Read the firmware version and watchdog log of the {c}",
                 "the firmware is current and the watchdog log is empty",
                 (("the watchdog log shows repeated resets on an old firmware", "update_firmware"),)),
            Mode("{c} configuration corrupted", "Compare the {c} configuration with the backup",
                 "the configuration matches the backup",
                 (("several parameters differ from the backup", "reset"),)),
            Mode("{c} board failed", "Measure the supply rails on the {c} board", "all supply rails are in range",
                 (("one supply rail is missing", "replace"),)),
        )),
    "fan": Kind(
        "Watch and listen to the {c} while it should run", "the {c} runs at full speed quietly",
        ("the {c} is not turning", "the {c} turns slowly and rattles"), "OR", (
            Mode("{c} blade damaged", "Inspect the {c} blades with power isolated", "the blades are intact",
                 (("a blade is cracked", "replace"),)),
            Mode("{c} blades fouled", "Inspect the {c} blades for dirt", "the blades are clean",
                 (("the blades are thick with dirt", "clean"),)),
            Mode("{c} speed control failed", "Measure the speed control signal of the {c}",
                 "the speed signal matches the demand", (("the speed signal stays at minimum", "recalibrate"),)),
        )),
    "line": Kind(
        "Measure the pressure at both ends of the {c}", "the pressures at both ends of the {c} match",
        ("the pressure falls off along the {c}", "there is no pressure at the far end of the {c}"), "OR", (
            Mode("{c} leaking", "Trace the {c} for leaks", "the {c} is dry along its length",
                 (("the {c} is wet at a fitting", "tighten"), ("the {c} is split", "replace"))),
            Mode("{c} kinked or blocked", "Inspect the {c} for kinks and blockages", "the {c} is clear",
                 (("the {c} is kinked behind a panel", "repair"), ("the {c} is blocked with sludge", "flush"))),
        )),
    "switch": Kind(
        "Operate the {c} and check its output", "the {c} changes state when operated",
        ("the {c} output never changes", "the {c} output flickers"), "XOR", (
            Mode("{c} stuck open", "Check continuity of the {c} in the closed position", "the {c} closes",
                 (("the {c} stays open", "replace"),)),
            Mode("{c} stuck closed", "Check continuity of the {c} in the open position", "the {c} opens",
                 (("the {c} stays closed", "replace"),)),
            Mode("{c} setpoint wrong", "Read the setpoint of the {c}", "the setpoint matches the design value",
                 (("the setpoint is far from the design value", "adjust"),)),
        )),
    "heater": Kind(
        "Measure the current drawn by the {c} when it is on", "the {c} draws its rated current",
        ("the {c} draws no current", "the {c} draws far too much current"), "OR", (
            Mode("{c} element open", "Measure the {c} element resistance", "the element resistance is normal",
                 (("the element reads open circuit", "replace"),)),
            Mode("{c} thermostat failed", "Test the {c} thermostat", "the thermostat switches at its setpoint",
                 (("the thermostat never switches", "replace"),)),
        )),
    "capacitor": Kind(
        "Measure the capacitance of the {c} with power isolated", "the {c} is within its rated capacitance",
        ("the {c} is well below rated capacitance", "the {c} reads shorted"), "OR", (
            Mode("{c} dried out", "Inspect the {c} casing", "the casing is flat and clean",
                 (("the casing is bulging", "replace"),)),
            Mode("{c} lead broken", "Check the leads of the {c}", "the leads are attached",
                 (("a lead has broken off", "reconnect"),)),
        )),
    "supply": Kind(
        "Measure the output voltage of the {c}", "the {c} output is at its nominal voltage",
        ("the {c} output is missing", "the {c} output sags under load"), "OR", (
            Mode("{c} input fuse blown", "Check the input fuse of the {c}", "the input fuse is intact",
                 (("the input fuse is blown", "replace"),)),
            Mode("{c} output regulator failed", "Measure the regulator output of the {c} unloaded",
                 "the regulator holds its voltage", (("the regulator output is unstable", "replace"),)),
            Mode("{c} overloaded", "Measure the load current on the {c}", "the load is within the rating",
                 (("the load is above the rating", "adjust"),)),
        )),
    "fluid": Kind(
        "Check the level and condition of the {c}", "the {c} is at the correct level and clean",
        ("the {c} is low", "the {c} is dark and contaminated"), "OR", (
            Mode("{c} level low", "Read the {c} level on the sight glass", "the level is between the marks",
                 (("the level is below the minimum mark", "refill"),)),
            Mode("{c} contaminated", "Take a sample of the {c}", "the sample is clear",
                 (("the sample is milky and gritty", "flush"),)),
        )),
}


class Subsystem(NamedTuple):
    name: str
    event: str
    instruction: str
    normal: str
    abnormal: tuple[str, ...]
    components: tuple[tuple[str, str], ...]  # (component name, kind)


class Domain(NamedTuple):
    code: str
    equipment: tuple[str, ...]
    top: tuple[str, ...]  # top events (symptoms)
    subsystems: tuple[Subsystem, ...]
    shared: tuple[str, str]  # a component several subsystems depend on
    redundant: tuple[str, ...]  # components that come in redundant pairs


def _s(name: str, event: str, instruction: str, normal: str, abnormal: tuple[str, ...],
       *components: str) -> Subsystem:
    return Subsystem(name, event, instruction, normal, abnormal,
                     tuple(tuple(c.rsplit(":", 1)) for c in components))  # type: ignore[misc]


DOMAINS: dict[str, Domain] = {
    "hvac": Domain("HV", ("rooftop unit", "split air conditioner", "air handling unit"),
                   ("Unit does not cool the building", "Supply air is warm"), (
        _s("compressor circuit", "Compressor does not run", "Listen at the outdoor unit for the compressor",
           "the compressor is running", ("the compressor is silent", "the compressor starts and stops"),
           "compressor motor:motor", "start capacitor:capacitor", "compressor contactor:relay",
           "high-pressure switch:switch", "compressor fuse:fuse"),
        _s("refrigerant circuit", "Refrigerant circuit not transferring heat",
           "Read the suction and discharge pressures on the manifold gauges",
           "suction and discharge pressures are normal", ("suction pressure is very low", "both pressures are equal"),
           "expansion valve:valve", "liquid line:line", "filter drier:filter", "suction pressure sensor:sensor",
           "service valve seal:seal"),
        _s("condenser section", "Condenser not rejecting heat", "Feel the air leaving the condenser",
           "the condenser air is warm and strong", ("no air leaves the condenser", "the condenser air is hot and weak"),
           "condenser fan:fan", "condenser fan motor:motor", "fan capacitor:capacitor", "fan relay:relay"),
        _s("air handler", "No air flow at the vents", "Hold a tissue at a supply vent",
           "the tissue is blown strongly", ("the tissue barely moves", "nothing comes out of the vent"),
           "blower fan:fan", "blower belt:belt", "return air filter:filter", "blower motor:motor",
           "damper actuator:valve"),
        _s("controls", "Controls do not call for cooling", "Check the thermostat display and call indicator",
           "the thermostat shows a cooling call", ("the thermostat display is blank", "no cooling call is shown"),
           "thermostat:controller", "zone controller:controller", "control wiring:wiring",
           "supply air sensor:sensor", "control relay:relay"),
        _s("condensate system", "Condensate safety has shut the unit down", "Look at the condensate pan",
           "the condensate pan is draining", ("the pan is full of water", "the float switch is raised"),
           "condensate pump:pump", "float switch:switch", "drain line:line", "pan heater:heater"),
    ), ("control transformer", "supply"), ("condenser fan", "blower fan")),
    "hydraulic_press": Domain("HP", ("200 t hydraulic press", "forging press", "stamping press"),
                              ("Press does not build tonnage", "Ram does not move"), (
        _s("power unit", "Hydraulic power unit delivers no pressure", "Read the system pressure gauge",
           "system pressure reaches its setting", ("pressure stays low", "pressure does not rise at all"),
           "main pump:pump", "pump motor:motor", "coupling belt:belt", "relief valve:valve", "motor starter:relay"),
        _s("hydraulic fluid", "Hydraulic fluid problem", "Check the reservoir",
           "the reservoir is full and the oil is clear", ("the oil is foaming", "the oil is low"),
           "hydraulic oil:fluid", "suction filter:filter", "return filter:filter", "oil temperature sensor:sensor",
           "oil heater:heater"),
        _s("directional control", "Directional valves do not shift", "Watch the valve spool indicators while jogging",
           "the spools shift on command", ("no spool moves", "the spools move slowly"),
           "main directional valve:valve", "pilot valve:valve", "solenoid wiring:wiring", "valve driver:controller"),
        _s("cylinder", "Main cylinder loses pressure", "Hold the ram under load and watch for drift",
           "the ram holds position", ("the ram drifts down", "the ram creeps up slowly"),
           "piston seal:seal", "rod seal:seal", "cylinder line:line", "position sensor:sensor"),
        _s("safety circuit", "Safety circuit blocks the stroke", "Read the safety relay status lamps",
           "all safety channels are closed", ("a safety channel is open", "the safety relay is in fault"),
           "light curtain:sensor", "safety relay:relay", "two-hand switch:switch", "guard door switch:switch",
           "safety PLC:controller"),
        _s("cooling", "Oil cooler not cooling", "Feel the oil cooler inlet and outlet",
           "the outlet is clearly cooler than the inlet", ("both are equally hot", "the cooler is cold"),
           "cooler fan:fan", "cooler fan motor:motor", "coolant line:line", "thermostatic valve:valve"),
    ), ("24 V control supply", "supply"), ("main pump", "cooler fan")),
    "car_engine": Domain("CE", ("petrol hatchback engine", "diesel van engine", "turbo petrol engine"),
                         ("Engine cranks but does not start", "Engine stalls under load"), (
        _s("fuel system", "Fuel not reaching the engine", "Listen for the fuel pump prime with the key on",
           "the pump primes for two seconds", ("there is no prime sound", "the pump runs continuously"),
           "fuel pump:pump", "fuel filter:filter", "pressure regulator:valve", "fuel line:line", "fuel pump relay:relay"),
        _s("ignition system", "No spark at the plugs", "Check for spark with a spark tester",
           "a strong blue spark at every cylinder", ("no spark at all", "a weak yellow spark"),
           "ignition coil pack:relay", "crank sensor:sensor", "cam sensor:sensor", "ignition harness:wiring",
           "ignition fuse:fuse"),
        _s("air intake", "Engine not getting air", "Read the mass air flow at idle on the scan tool",
           "air flow is normal at idle", ("air flow is very low", "air flow reads zero"),
           "air filter:filter", "throttle body:valve", "mass air flow sensor:sensor", "intake hose:line"),
        _s("engine management", "Engine computer not controlling the engine",
           "Connect the scan tool and read the engine computer", "the computer communicates with no stored codes",
           ("stored fault codes are present", "the computer does not communicate"),
           "engine control unit:controller", "immobiliser module:controller", "main harness:wiring",
           "coolant temperature sensor:sensor"),
        _s("charging and starting", "Starting system too weak", "Measure the battery voltage while cranking",
           "voltage stays above 10 V", ("voltage drops below 9 V", "the engine cranks slowly"),
           "starter motor:motor", "alternator belt:belt", "starter relay:relay", "battery cable:wiring"),
        _s("cooling system", "Engine overheating shuts it down", "Read the coolant temperature gauge",
           "the temperature sits in the middle", ("the temperature is in the red", "the gauge climbs quickly"),
           "coolant:fluid", "water pump:pump", "radiator fan:fan", "thermostat valve:valve", "radiator hose:line"),
    ), ("main battery supply", "supply"), ("radiator fan", "fuel pump")),
    "server_rack": Domain("SR", ("storage rack", "compute rack", "network core rack"),
                          ("Rack servers shut down unexpectedly", "Rack unreachable from the network"), (
        _s("power distribution", "Rack power distribution fails", "Read the PDU load and input displays",
           "both PDUs show input and balanced load", ("one PDU display is dark", "input voltage is missing"),
           "PDU breaker:fuse", "PDU controller:controller", "power inlet cable:wiring", "transfer switch:switch",
           "PDU relay:relay"),
        _s("cooling", "Rack overheating", "Read the inlet temperature on the rack display",
           "inlet temperature is within range", ("inlet temperature is high", "the display shows a thermal alarm"),
           "rear door fan:fan", "fan tray motor:motor", "inlet temperature sensor:sensor", "air filter panel:filter",
           "chilled water valve:valve"),
        _s("network", "Top-of-rack network down", "Look at the top-of-rack switch port LEDs",
           "uplink and server port LEDs are green", ("the uplink LEDs are off", "all ports blink amber"),
           "top-of-rack switch:controller", "uplink cable:wiring", "optical transceiver:sensor",
           "patch panel:wiring"),
        _s("server hardware", "Servers crash", "Read the server baseboard event logs",
           "the event logs are clean", ("the logs show machine-check errors", "the logs show power faults"),
           "server PSU:supply", "server power cable:wiring", "BMC:controller", "RAID controller:controller",
           "server fan:fan"),
        _s("monitoring", "Monitoring forces a shutdown", "Read the rack management controller alarms",
           "no active alarms", ("a shutdown alarm is active", "the controller is unreachable"),
           "rack management controller:controller", "smoke detector:sensor", "door switch:switch",
           "sensor bus:wiring"),
    ), ("rack UPS", "supply"), ("rear door fan", "server PSU")),
    "pump_station": Domain("PS", ("wastewater lift station", "irrigation pump station", "booster station"),
                           ("Station does not deliver flow", "Wet well overflows"), (
        _s("duty pump", "Duty pump delivers no flow", "Read the duty pump discharge gauge",
           "the discharge pressure is normal", ("discharge pressure is low", "the gauge reads zero"),
           "duty pump:pump", "duty pump motor:motor", "check valve:valve", "pump seal:seal", "duty contactor:relay"),
        _s("level control", "Level control does not start the pumps", "Compare the level display with the well",
           "the display matches the actual level", ("the display is stuck", "the pumps do not start at high level"),
           "level transducer:sensor", "high-level float:switch", "pump controller:controller",
           "level sensor cable:wiring"),
        _s("pipework", "Discharge pipework restricted", "Read the pressure at the station outlet",
           "the outlet pressure is normal", ("the outlet pressure is high with low flow", "the outlet is dry"),
           "discharge main:line", "isolation valve:valve", "strainer:filter", "air release valve:valve"),
        _s("electrical supply", "Station supply lost", "Read the incoming supply meter",
           "all three phases are present", ("a phase is missing", "the meter is dark"),
           "main breaker:fuse", "phase monitor relay:relay", "soft starter:controller", "supply cable:wiring"),
        _s("ventilation", "Ventilation interlock trips the station", "Check the gas detector and vent fan status",
           "ventilation running and no gas alarm", ("gas alarm active", "the vent fan is stopped"),
           "vent fan:fan", "gas detector:sensor", "vent fan belt:belt", "vent damper:valve"),
        _s("lubrication", "Pump lubrication failure", "Check the lubricator sight glass",
           "oil drips at a steady rate", ("no oil flow", "the sight glass is empty"),
           "bearing oil:fluid", "lubricator pump:pump", "oil line:line"),
    ), ("control panel supply", "supply"), ("duty pump", "vent fan")),
    "elevator": Domain("EL", ("passenger lift", "goods lift", "hospital bed lift"),
                       ("Lift car does not move", "Lift stops between floors"), (
        _s("drive", "Traction drive does not turn", "Watch the machine sheave during a call",
           "the sheave turns smoothly", ("the sheave does not turn", "the sheave jerks"),
           "hoist motor:motor", "drive inverter:controller", "brake coil:relay", "encoder:sensor", "drive fuse:fuse"),
        _s("door system", "Doors do not close and lock", "Watch the car doors during a call",
           "the doors close and lock", ("the doors reopen", "the doors stay open"),
           "door operator motor:motor", "door belt:belt", "door lock switch:switch", "door light curtain:sensor"),
        _s("safety chain", "Safety chain open", "Read the safety chain indicator on the controller",
           "the safety chain is closed", ("the chain is open", "the chain opens intermittently"),
           "overspeed governor switch:switch", "pit stop switch:switch", "safety chain wiring:wiring",
           "car top stop switch:switch", "final limit switch:switch"),
        _s("controller", "Lift controller does not dispatch", "Read the controller display",
           "the controller shows normal operation", ("the controller shows a fault", "the display is frozen"),
           "main controller:controller", "call button bus:wiring", "load weighing sensor:sensor", "main relay:relay"),
        _s("hydraulic buffer", "Buffer not reset", "Look at the pit buffers", "the buffers are fully extended",
           ("a buffer is compressed", "oil is on the pit floor"),
           "buffer oil:fluid", "buffer seal:seal", "buffer switch:switch"),
        _s("machine room climate", "Machine room overheats the drive", "Read the machine room thermometer",
           "the room is cool", ("the room is hot", "the drive reports over-temperature"),
           "room vent fan:fan", "drive heat sink fan:fan", "room thermostat:switch"),
    ), ("controller power supply", "supply"), ("drive heat sink fan", "room vent fan")),
    "wind_turbine": Domain("WT", ("2 MW wind turbine", "3 MW wind turbine", "community wind turbine"),
                           ("Turbine produces no power", "Turbine shuts down in normal wind"), (
        _s("pitch system", "Blades do not pitch", "Watch the blade pitch angles on the SCADA screen",
           "all blades follow the pitch demand", ("one blade does not pitch", "no blade pitches"),
           "pitch motor:motor", "pitch controller:controller", "pitch encoder:sensor", "pitch slip ring:wiring",
           "pitch accumulator valve:valve"),
        _s("yaw system", "Nacelle does not yaw into the wind", "Compare nacelle heading with wind direction",
           "the nacelle faces the wind", ("the nacelle is misaligned", "the yaw drive does not move"),
           "yaw motor:motor", "wind vane:sensor", "yaw brake valve:valve", "yaw gear oil:fluid"),
        _s("gearbox", "Gearbox trip", "Read the gearbox oil temperature and pressure",
           "temperature and pressure are normal", ("oil temperature is high", "oil pressure is low"),
           "gearbox oil:fluid", "gearbox oil pump:pump", "gearbox oil filter:filter", "oil cooler fan:fan",
           "bearing temperature sensor:sensor"),
        _s("generator and converter", "Generator not connected to the grid", "Read the converter status",
           "the converter is synchronised", ("the converter is in fault", "the converter is not switching"),
           "converter controller:controller", "generator winding sensor:sensor", "main breaker:fuse",
           "grid contactor:relay", "converter cooling pump:pump"),
        _s("hydraulics", "Rotor brake hydraulics fault", "Read the hydraulic station pressure",
           "pressure holds at setting", ("pressure is low", "the pump runs constantly"),
           "hydraulic pump:pump", "brake valve:valve", "hydraulic hose:line", "brake caliper seal:seal"),
    ), ("nacelle UPS", "supply"), ("converter cooling pump", "oil cooler fan")),
    "refrigeration": Domain("RF", ("walk-in freezer", "supermarket display case", "blast chiller"),
                            ("Cabinet temperature too high", "Evaporator iced up and not cooling"), (
        _s("compressor rack", "Compressor does not run", "Listen at the condensing unit",
           "the compressor runs", ("the compressor is silent", "the compressor short-cycles"),
           "compressor:motor", "compressor contactor:relay", "low-pressure switch:switch", "oil level:fluid",
           "compressor fuse:fuse"),
        _s("evaporator", "Evaporator not cooling the air", "Feel the air leaving the evaporator",
           "the air is cold", ("the air is barely cool", "the coil is a block of ice"),
           "evaporator fan:fan", "evaporator fan motor:motor", "expansion valve:valve", "coil sensor:sensor"),
        _s("defrost system", "Defrost does not clear the coil", "Force a defrost and watch the coil",
           "the ice clears", ("the ice stays", "the heaters never warm"),
           "defrost heater:heater", "defrost timer:controller", "termination thermostat:switch",
           "defrost relay:relay"),
        _s("condenser", "Condenser not rejecting heat", "Feel the air over the condenser",
           "the condenser air is warm", ("no air flow", "the coil is very hot"),
           "condenser fan:fan", "condenser coil:filter", "head pressure valve:valve", "fan belt:belt"),
        _s("controls", "Case controller not calling for cooling", "Read the case controller display",
           "the controller shows a cooling demand", ("the display shows an alarm", "the display is dark"),
           "case controller:controller", "air sensor:sensor", "door switch:switch", "solenoid valve:valve",
           "controller wiring:wiring"),
        _s("refrigerant lines", "Refrigerant starvation", "Look at the liquid line sight glass",
           "the sight glass is full", ("bubbles in the sight glass", "the sight glass is empty"),
           "liquid line:line", "filter drier:filter", "suction line insulation:seal", "refrigerant:fluid"),
    ), ("control circuit supply", "supply"), ("condenser fan", "evaporator fan")),
}
